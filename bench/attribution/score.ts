/**
 * Scoring the analysis' verdicts against a scenario's labels. An expected signature is
 * matched by a found one whose N lies in its window; then kind, place, software and (when
 * given) who ended it are compared. A found signature no expected one claims is a phantom,
 * and so is any signature or finding whose text says "0.0 s" (the analysis must never
 * say that: it is a cut right after the upgrade mistaken for a timeout). The experiments'
 * conclusions (issue 18) are held to `expect.diagnosis` the same way: each expected one
 * must be found, and one found that none claims is a phantom.
 */
import { analyzeSessions, type AnalysisExtra, type SessionSample } from '../../lib/analysis/analyze';
import { BUILTIN_LAYERS, type Layer } from '../../lib/analysis/catalogue';
import { refusalFindings, silentFindings, type Finding } from '../../lib/analysis/findings';
import type { LocationScope, SignatureKind } from '../../lib/analysis/types';
import { resolutionMs } from '../../lib/diagnosis/bisect';
import { pathKey, pathText } from '../../lib/diagnosis/describe';
import type { Diagnosis, ExperimentPath } from '../../lib/diagnosis/types';
import type { ExpectedSignature, Scenario } from './scenario';

/** What the scorer reads of a found signature (a `Signature` has all of it). */
export interface FoundSignature {
  nMs: number;
  kind: SignatureKind;
  location: { scope: LocationScope; value: string | null };
  software: { name: string } | null;
  endedBy: 'layer' | 'endpoint';
  verification?: { status: string };
  chain?: { cutAt: string | null };
}

export interface AnalysisAnswer {
  signatures: readonly FoundSignature[];
  findings: readonly Finding[];
  /** What the experiments concluded; absent from an analysis that reads none. */
  diagnosis?: Diagnosis;
}

/** The seam: the real analysis by default, a stand-in in the scorer's own tests. */
export type Analyze = (sessions: readonly SessionSample[], layers: readonly Layer[], extra?: AnalysisExtra) => AnalysisAnswer;

export const realAnalysis: Analyze = (sessions, layers, extra) => analyzeSessions(sessions, layers, extra);

/** One expectation of the diagnosis, held against what was found. */
export interface DiagnosisCheck {
  /** "bracket edge-fra-1 → direct → api", "verification at 60.00–60.10 s". */
  what: string;
  expected: string;
  found: string;
  right: boolean;
}

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
  what: 'signature' | 'finding' | 'diagnosis';
  /** 'unexpected': no expected signature (or diagnosis) claims it; 'zero-seconds': its text says "0.0 s". */
  why: 'unexpected' | 'zero-seconds';
  /** A diagnosis phantom is said in words ("transport l4 on edge-fra-1 → direct → api"). */
  item: FoundSignature | Finding | string;
}

export interface ScenarioScore {
  name: string;
  classes: string[];
  matches: SignatureMatch[];
  findings: { kind: Finding['kind']; cause: string; present: boolean }[];
  diagnosis: DiagnosisCheck[];
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
    answer = s.experiments || s.chains ? analyze(s.sessions, layers, { experiments: s.experiments ?? [], chains: s.chains ?? [] }) : analyze(s.sessions, layers);
  } catch (err) {
    const message = err instanceof Error ? err.message : String(err);
    return {
      name: s.name,
      classes: s.classes,
      matches: s.expect.signatures.map((expected) => ({ expected, found: null, kind: false, place: false, software: false, endedBy: false, right: false })),
      findings: (s.expect.findings ?? []).map((f) => ({ ...f, present: false })),
      diagnosis: expectedChecks(s).map((what) => ({ ...what, found: '(the analysis threw)', right: false })),
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
  const diagnosis = scoreDiagnosis(s, answer);
  phantoms.push(...diagnosisPhantoms(s, answer));

  const right = matches.every((m) => m.right) && findings.every((f) => f.present) && diagnosis.every((d) => d.right) && phantoms.length === 0;
  return { name: s.name, classes: s.classes, matches, findings, diagnosis, phantoms, found: answer.signatures, error: null, right };
}

const samePath = (a: ExperimentPath) => (b: ExperimentPath) => pathKey(a) === pathKey(b);
const range = (r: [number, number]) => `${(r[0] / 1000).toFixed(2)}–${(r[1] / 1000).toFixed(2)} s`;
const secondsOf = (ms: number | null) => (ms === null ? '—' : `${(ms / 1000).toFixed(2)} s`);

/** What each expectation of the diagnosis is, and what it asks, before anything is found. */
function expectedChecks(s: Scenario): Omit<DiagnosisCheck, 'found' | 'right'>[] {
  const d = s.expect.diagnosis ?? {};
  return [
    ...(d.brackets ?? []).map((b) => ({ what: `bracket ${pathText(b.path)}`, expected: `converged around ${range(b.nMs)}${b.restarted ? ', restarted' : ''}` })),
    ...(d.transports ?? []).map((t) => ({ what: `transport ${pathText(t.path)}`, expected: t.layer })),
    ...(d.verifications ?? []).map((v) => ({ what: `verification at ${range(v.nMs)}`, expected: v.status })),
    ...(d.chains ?? []).map((c) => ({ what: `chain at ${range(c.nMs)}`, expected: `cut at ${c.cutAt ?? '(none)'}` })),
    ...(d.echo ?? []).map((e) => ({ what: `echo ${pathText(e.path)}`, expected: `${e.kind}${e.bytes !== undefined ? ` at ${e.bytes} B` : ''}${e.heldMs ? ` held ${range(e.heldMs)}` : ''}` })),
  ];
}

/**
 * The diagnosis held to the scenario's labels: a bracket converged (within max(0.5 s, 1 %))
 * around the true N, the transport layer, the status of the fix's verification and the
 * chain's cut on the signature at N, the echo kind with its size or hold.
 */
function scoreDiagnosis(s: Scenario, a: AnalysisAnswer): DiagnosisCheck[] {
  const d = s.expect.diagnosis ?? {};
  const found = a.diagnosis;
  const what = expectedChecks(s);
  let i = 0;
  const out: DiagnosisCheck[] = [];
  const push = (found: string, right: boolean) => out.push({ ...what[i++]!, found, right });
  for (const e of d.brackets ?? []) {
    const b = found?.brackets.find(samePath(e.path));
    if (!b) push('none', false);
    else {
      const contains = b.lowMs !== null && b.highMs !== null && b.lowMs <= e.nMs[1] && b.highMs >= e.nMs[0];
      const narrow = b.state === 'converged' && b.highMs! - b.lowMs! <= resolutionMs(b.highMs!);
      push(`${b.state} ${secondsOf(b.lowMs)}–${secondsOf(b.highMs)}, ${b.rungs} rungs, ${b.restarts} restarts`, contains && narrow && (!e.restarted || b.restarts > 0));
    }
  }
  for (const e of d.transports ?? []) {
    const t = found?.transports.find((x) => samePath(e.path)(x) && x.layer !== 'unknown') ?? found?.transports.find(samePath(e.path));
    push(t?.layer ?? 'none', t?.layer === e.layer);
  }
  const signatureAt = (r: [number, number]) => a.signatures.find((f) => f.nMs >= r[0] && f.nMs <= r[1]);
  for (const e of d.verifications ?? []) {
    const v = signatureAt(e.nMs)?.verification;
    push(v?.status ?? 'none', v?.status === e.status);
  }
  for (const e of d.chains ?? []) {
    const c = signatureAt(e.nMs)?.chain;
    push(c ? `cut at ${c.cutAt ?? '(none)'}` : 'none', c !== undefined && c.cutAt === e.cutAt);
  }
  for (const e of d.echo ?? []) {
    const v = found?.echo.find((x) => samePath(e.path)(x) && x.kind === e.kind);
    const size = e.bytes === undefined || v?.failedAtBytes === e.bytes;
    const held = e.heldMs === undefined || (v?.heldMs !== undefined && v.heldMs >= e.heldMs[0] && v.heldMs <= e.heldMs[1]);
    push(v ? `${v.kind}${v.failedAtBytes !== undefined ? ` at ${v.failedAtBytes} B` : ''}${v.heldMs !== undefined ? ` held ${secondsOf(v.heldMs)}` : ''}` : 'none', v !== undefined && size && held);
  }
  return out;
}

/**
 * Conclusions the experiments reached that no label claims: a bracket (converged or
 * searching), an L4 or L7 verdict, or an echo finding on a path the scenario does not
 * expect it on, as the signatures' phantoms are.
 */
function diagnosisPhantoms(s: Scenario, a: AnalysisAnswer): Phantom[] {
  const d = s.expect.diagnosis ?? {};
  const found = a.diagnosis;
  if (!found) return [];
  const out: Phantom[] = [];
  for (const b of found.brackets) {
    if ((b.state === 'converged' || b.state === 'searching') && !(d.brackets ?? []).some((e) => samePath(e.path)(b))) out.push({ what: 'diagnosis', why: 'unexpected', item: `bracket ${b.state} ${secondsOf(b.lowMs)}–${secondsOf(b.highMs)} on ${pathText(b)}` });
  }
  for (const t of found.transports) {
    if (t.layer !== 'unknown' && !(d.transports ?? []).some((e) => samePath(e.path)(t) && e.layer === t.layer)) out.push({ what: 'diagnosis', why: 'unexpected', item: `transport ${t.layer} on ${pathText(t)}` });
  }
  for (const v of found.echo) {
    if (!(d.echo ?? []).some((e) => samePath(e.path)(v) && e.kind === v.kind)) out.push({ what: 'diagnosis', why: 'unexpected', item: `echo ${v.kind} on ${pathText(v)}` });
  }
  return out;
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
  /** Expectations of the diagnosis (brackets, transports, verifications, chains, echo), and how many were met. */
  diagnosisExpected?: number;
  diagnosis?: number;
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
    diagnosisExpected: scores.reduce((n, s) => n + s.diagnosis.length, 0),
    diagnosis: scores.reduce((n, s) => n + s.diagnosis.filter((d) => d.right).length, 0),
  };
}

/** The scorecard's last line; the diagnosis' count only when some scenario expects one. */
export function summaryLine(t: Totals): string {
  const of = (k: number) => `${k}/${t.expected}`;
  const diagnosis = t.diagnosisExpected ? `, diagnosis ${t.diagnosis ?? 0}/${t.diagnosisExpected}` : '';
  return `attribution: ${t.right}/${t.scenarios} scenarios fully right; N ${of(t.n)}, kind ${of(t.kind)}, place ${of(t.place)}, software ${of(t.software)}${diagnosis}, phantoms ${t.phantoms}`;
}
