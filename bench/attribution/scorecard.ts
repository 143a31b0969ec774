/**
 * The scorecard: every scenario of the corpus through the analysis, a table per scenario
 * (expected against found: N, kind, place, software, who ended it; phantoms; findings; the
 * experiments' diagnosis), and the totals on the last line.
 */
import type { Finding } from '../../lib/analysis/findings';
import { corpus } from './corpus';
import type { UnreadableLabFile } from './lab';
import type { ExpectedSignature, Scenario } from './scenario';
import { realAnalysis, scoreScenario, summaryLine, totalsOf, type Analyze, type FoundSignature, type ScenarioScore, type SignatureMatch, type Totals } from './score';

export interface Scorecard {
  scores: ScenarioScore[];
  totals: Totals;
  /** The printed table, the summary line last. */
  lines: string[];
}

/** Score `entries` (default: the whole corpus, lab recordings included) with `analyze` (default: the real analysis). */
export function runScorecard(entries: readonly (Scenario | UnreadableLabFile)[] = corpus(), analyze: Analyze = realAnalysis): Scorecard {
  const scores = entries.map((e) => ('error' in e ? unreadable(e) : scoreScenario(e, analyze)));
  const totals = totalsOf(scores);
  return { scores, totals, lines: [...scores.flatMap(formatScore), '', summaryLine(totals)] };
}

function unreadable(e: UnreadableLabFile): ScenarioScore {
  return { name: e.name, classes: ['lab'], matches: [], findings: [], diagnosis: [], phantoms: [], found: [], error: `${e.file}: ${e.error}`, right: false };
}

const W = [12, 22, 15, 32, 20, 10];

function row(cells: string[]): string {
  return `    ${cells.map((c, i) => (i < cells.length - 1 ? c.padEnd(W[i]!) : c)).join(' ')}`.trimEnd();
}

export function formatScore(s: ScenarioScore): string[] {
  const out = [`${s.right ? '✓' : '✗'} ${s.name}  [${s.classes.join(', ')}]`];
  if (s.error) out.push(`    error: ${s.error}`);
  out.push(row(['', 'N', 'kind', 'place', 'software', 'ended by']));
  if (s.matches.length === 0) out.push(row(['expected', '(no signature)']));
  for (const m of s.matches) {
    out.push(row(['expected', windowOf(m.expected), m.expected.kind, placeOf(m.expected.place), m.expected.software ?? '—', m.expected.endedBy ?? '']));
    out.push(m.found ? foundRow(m) : row(['found', 'none in the window ✗']));
  }
  for (const p of s.phantoms) {
    const what = p.what === 'signature' ? describeFound(p.item as FoundSignature) : p.what === 'diagnosis' ? String(p.item) : `finding ${describeFinding(p.item as Finding)}`;
    out.push(row(['phantom', `${what}${p.why === 'zero-seconds' ? ' (says "0.0 s")' : ''}`]));
  }
  for (const f of s.findings) out.push(row(['finding', `${f.kind}/${f.cause} ${f.present ? '✓' : 'missing ✗'}`]));
  for (const d of s.diagnosis) out.push(row(['diagnosis', `${d.what}: expected ${d.expected}, found ${d.found} ${d.right ? '✓' : '✗'}`]));
  return out;
}

function foundRow(m: SignatureMatch): string {
  const f = m.found!;
  const mark = (ok: boolean) => (ok ? ' ✓' : ' ✗');
  return row([
    'found',
    `${seconds(f.nMs)}${mark(true)}`,
    `${f.kind}${mark(m.kind)}`,
    `${placeOf({ scope: f.location.scope, value: f.location.value })}${mark(m.place)}`,
    `${softwareOf(f)}${mark(m.software)}`,
    m.expected.endedBy === undefined ? (f.endedBy ?? '') : `${f.endedBy ?? '(none)'}${mark(m.endedBy)}`,
  ]);
}

function describeFound(f: FoundSignature): string {
  return `${seconds(f.nMs)} ${f.kind} ${placeOf({ scope: f.location.scope, value: f.location.value })} ${softwareOf(f)}`;
}

function describeFinding(f: Finding): string {
  return `${f.kind}${f.cause ? `/${f.cause}` : ''}: ${f.title}`;
}

const seconds = (ms: number) => `${(ms / 1000).toFixed(2)} s`;
const windowOf = (e: ExpectedSignature) => `${(e.nMs[0] / 1000).toFixed(2)}–${(e.nMs[1] / 1000).toFixed(2)} s`;
const placeOf = (p: { scope: string; value: string | null }) => (p.value === null ? p.scope : `${p.scope} ${p.value}`);
const softwareOf = (f: FoundSignature) => f.software?.name ?? '—';
