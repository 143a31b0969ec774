/**
 * Scoring the analysis' verdicts against a scenario's labels. An expected signature is
 * matched by a found one whose N lies in its window; then kind, place, software and (when
 * given) who ended it are compared. A found signature no expected one claims is a phantom,
 * and so is any signature or finding whose text says "0.0 s" (the analysis must never
 * say that: it is a cut right after the upgrade mistaken for a timeout).
 */
import { analyzeSessions, type SessionSample } from '../../lib/analysis/analyze';
import { BUILTIN_LAYERS, type Layer } from '../../lib/analysis/catalogue';
import { refusalFindings, silentFindings, type Finding } from '../../lib/analysis/findings';
import type { LocationScope, SignatureKind } from '../../lib/analysis/types';
import type { ExpectedSignature, Scenario } from './scenario';

/** What the scorer reads of a found signature (a `Signature` has all of it). */
export interface FoundSignature {
  nMs: number;
  kind: SignatureKind;
  location: { scope: LocationScope; value: string | null };
  software: { name: string } | null;
  endedBy: 'layer' | 'endpoint';
}

export interface AnalysisAnswer {
  signatures: readonly FoundSignature[];
  findings: readonly Finding[];
}

/** The seam: the real analysis by default, a stand-in in the scorer's own tests. */
export type Analyze = (sessions: readonly SessionSample[], layers: readonly Layer[]) => AnalysisAnswer;

export const realAnalysis: Analyze = (sessions, layers) => analyzeSessions(sessions, layers);

export interface SignatureMatch {
  expected: ExpectedSignature;
  /** The found signature with N in the expected window that agrees best, or null. */
  found: FoundSignature | null;
  kind: boolean;
  place: boolean;
  software: boolean;
  endedBy: boolean;
  right: boolean;
}

export interface Phantom {
  what: 'signature' | 'finding';
  /** 'unexpected': no expected signature claims it; 'zero-seconds': its text says "0.0 s". */
  why: 'unexpected' | 'zero-seconds';
  item: FoundSignature | Finding;
}

export interface ScenarioScore {
  name: string;
  classes: string[];
  matches: SignatureMatch[];
  findings: { kind: Finding['kind']; cause: string; present: boolean }[];
  phantoms: Phantom[];
  /** All signatures the analysis found, for the report. */
  found: readonly FoundSignature[];
  /** The analysis threw: every expectation counts as missed. */
  error: string | null;
  right: boolean;
}

export function scoreScenario(s: Scenario, analyze: Analyze = realAnalysis): ScenarioScore {
  const layers = [...BUILTIN_LAYERS, ...(s.layers ?? [])];
  let answer: AnalysisAnswer;
  try {
    answer = analyze(s.sessions, layers);
  } catch (err) {
    const message = err instanceof Error ? err.message : String(err);
    return {
      name: s.name,
      classes: s.classes,
      matches: s.expect.signatures.map((expected) => ({ expected, found: null, kind: false, place: false, software: false, endedBy: false, right: false })),
      findings: (s.expect.findings ?? []).map((f) => ({ ...f, present: false })),
      phantoms: [],
      found: [],
      error: message,
      right: false,
    };
  }

  const taken = new Set<FoundSignature>();
  const order = [...s.expect.signatures].sort((a, b) => a.nMs[1] - a.nMs[0] - (b.nMs[1] - b.nMs[0]));
  const byExpected = new Map<ExpectedSignature, SignatureMatch>();
  for (const e of order) {
    const inWindow = answer.signatures.filter((f) => !taken.has(f) && f.nMs >= e.nMs[0] && f.nMs <= e.nMs[1]);
    const centre = (e.nMs[0] + e.nMs[1]) / 2;
    const best = inWindow
      .map((f) => compare(e, f))
      .sort((a, b) => agreements(b) - agreements(a) || Math.abs(a.found!.nMs - centre) - Math.abs(b.found!.nMs - centre))[0];
    if (best) taken.add(best.found!);
    byExpected.set(e, best ?? { expected: e, found: null, kind: false, place: false, software: false, endedBy: false, right: false });
  }
  const matches = s.expect.signatures.map((e) => byExpected.get(e)!);

  const all = [...answer.findings, ...refusalFindings(s.refusals ?? []), ...silentFindings(s.silent ?? [])];
  const findings = (s.expect.findings ?? []).map((f) => ({ ...f, present: all.some((g) => g.kind === f.kind && g.cause === f.cause) }));

  const phantoms: Phantom[] = [];
  for (const f of answer.signatures) {
    if (!taken.has(f)) phantoms.push({ what: 'signature', why: 'unexpected', item: f });
    else if (saysZeroSeconds(f)) phantoms.push({ what: 'signature', why: 'zero-seconds', item: f });
  }
  for (const f of all) if (saysZeroSeconds(f)) phantoms.push({ what: 'finding', why: 'zero-seconds', item: f });

  const right = matches.every((m) => m.right) && findings.every((f) => f.present) && phantoms.length === 0;
  return { name: s.name, classes: s.classes, matches, findings, phantoms, found: answer.signatures, error: null, right };
}

function compare(e: ExpectedSignature, f: FoundSignature): SignatureMatch {
  const kind = f.kind === e.kind;
  const place = f.location.scope === e.place.scope && f.location.value === e.place.value;
  const software = sameSoftware(e.software, f.software?.name ?? null);
  const endedBy = e.endedBy === undefined || f.endedBy === e.endedBy;
  return { expected: e, found: f, kind, place, software, endedBy, right: kind && place && software && endedBy };
}

const agreements = (m: SignatureMatch) => Number(m.kind) + Number(m.place) + Number(m.software) + Number(m.endedBy);

const words = (s: string) => s.toLowerCase().split(/[^a-z0-9]+/).filter(Boolean);

/**
 * Whether the software named is the one expected, by words and case-insensitively: the
 * expected words must appear, in order and together, among the name's words. "nginx" is
 * matched by "nginx" and "NGINX"; "Envoy" by "istio-envoy"; "Google" by "Google Front End";
 * "acme-gw" by "acme-gw" but not by "acme". Null only by null.
 */
export function sameSoftware(expected: string | null, found: string | null): boolean {
  if (expected === null || found === null) return expected === found;
  const e = words(expected);
  const f = words(found);
  if (e.length === 0) return false;
  for (let i = 0; i + e.length <= f.length; i++) if (e.every((w, j) => f[i + j] === w)) return true;
  return false;
}

/** "0.0 s" as a duration of its own: not the tail of "30.0 s" or "100.0 s". */
const ZERO_SECONDS = /(^|[^\d.])0\.0 s\b/;

export function saysZeroSeconds(item: unknown): boolean {
  if (typeof item === 'string') return ZERO_SECONDS.test(item);
  if (Array.isArray(item)) return item.some(saysZeroSeconds);
  if (item !== null && typeof item === 'object') return Object.values(item).some(saysZeroSeconds);
  return false;
}

export interface Totals {
  scenarios: number;
  right: number;
  expected: number;
  n: number;
  kind: number;
  place: number;
  software: number;
  phantoms: number;
}

export function totalsOf(scores: readonly ScenarioScore[]): Totals {
  const matches = scores.flatMap((s) => s.matches);
  return {
    scenarios: scores.length,
    right: scores.filter((s) => s.right).length,
    expected: matches.length,
    n: matches.filter((m) => m.found !== null).length,
    kind: matches.filter((m) => m.found !== null && m.kind).length,
    place: matches.filter((m) => m.found !== null && m.place).length,
    software: matches.filter((m) => m.found !== null && m.software).length,
    phantoms: scores.reduce((n, s) => n + s.phantoms.length, 0),
  };
}

/** The scorecard's last line. */
export function summaryLine(t: Totals): string {
  const of = (k: number) => `${k}/${t.expected}`;
  return `attribution: ${t.right}/${t.scenarios} scenarios fully right; N ${of(t.n)}, kind ${of(t.kind)}, place ${of(t.place)}, software ${of(t.software)}, phantoms ${t.phantoms}`;
}
