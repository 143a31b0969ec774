/**
 * Alert quorum (issue 17): a rule may require that at least K probes, or K distinct values
 * of a probe label (regions, say), see its condition at once before it goes pending. One
 * region's ISP dropping canaries then pages nobody while the other regions are healthy.
 *
 * The queries measure each unit (a probe) inside each of the rule's label sets; this folds
 * those into one observation per label set, so the state machine (pending, `for`,
 * hysteresis) runs unchanged on the quorum's verdict. Pure: no I/O, no clock.
 */
import { z } from 'zod';
import { labelsKey, type Observation } from './observation';
import type { AlertKind, Quorum } from './rule';
import type { Verdict } from './state-machine';

/** One probe's observation inside a rule label set (`labels` has no probe in it). */
export interface UnitObservation extends Observation {
  probe: string;
  /** The probe's value of the quorum's label; null when it has none, or the quorum is by probe. */
  labelValue: string | null;
}

/** The most names an alert lists: `count` stays the true number. */
export const MAX_QUORUM_NAMES = 100;
/** The most per-probe lines an alert's evidence keeps, worst first. */
export const MAX_QUORUM_UNITS = 50;

/**
 * Which units carry the verdict: those in breach when it is a breach, otherwise those not
 * clear (holding the alert in its hysteresis band, or too few to make a quorum).
 */
export const quorumEvidenceSchema = z.object({
  min: z.number().int(),
  by: z.string(),
  count: z.number().int(),
  probes: z.array(z.string()),
  values: z.array(z.string()).optional(),
});
export type QuorumEvidence = z.infer<typeof quorumEvidenceSchema>;

export interface QuorumUnitLine {
  probe: string;
  label?: string;
  value: number | null;
  verdict: Verdict;
}

const RANK: Record<Verdict, number> = { clear: 0, hold: 1, breach: 2 };

/** upgrade_ratio fires below its threshold: lower is worse. Every other kind: higher. */
function worseFirst(kind: AlertKind): (a: number, b: number) => number {
  return kind === 'upgrade_ratio' ? (a, b) => a - b : (a, b) => b - a;
}

const byName = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);

interface Unit {
  /** The probe name, or the label value. */
  id: string;
  verdict: Verdict;
  value: number | null;
  probes: UnitObservation[];
}

/**
 * One observation per rule label set: breach when at least `min` units breach; hold when
 * at least `min` are in breach or hold; else clear. A unit is a probe (by `probe`) or a
 * distinct label value among the probes (a value counts when any of its probes does;
 * probes without the label do not count). `value` is the min-th worst unit value (null
 * when fewer than `min` units have one), so the verdict is what the rule's threshold says
 * of it; `evidence.quorum` names the units that carry the verdict.
 */
export function applyQuorum(kind: AlertKind, quorum: Quorum, units: readonly UnitObservation[]): Observation[] {
  const worse = worseFirst(kind);
  const labelKey = quorum.by === 'probe' ? null : quorum.by.slice('label:'.length);
  const sets = new Map<string, { labels: Record<string, string>; probes: Map<string, UnitObservation> }>();
  for (const u of units) {
    if (labelKey !== null && u.labelValue === null) continue;
    const key = labelsKey(u.labels);
    const set = sets.get(key) ?? { labels: u.labels, probes: new Map() };
    sets.set(key, set);
    // A probe seen twice in one label set (it should not be) counts once, at its worst;
    // ties go to the first label value by name, so the input's order never matters.
    const prev = set.probes.get(u.probe);
    const tieWon = (p: UnitObservation) => !isWorse(worse, p, u) && byName(u.labelValue ?? '', p.labelValue ?? '') < 0;
    if (!prev || isWorse(worse, u, prev) || tieWon(prev)) set.probes.set(u.probe, u);
  }

  const out: Observation[] = [];
  for (const [, set] of [...sets].sort(([a], [b]) => byName(a, b))) {
    const grouped = new Map<string, UnitObservation[]>();
    for (const p of set.probes.values()) {
      const id = labelKey === null ? p.probe : p.labelValue!;
      grouped.set(id, [...(grouped.get(id) ?? []), p]);
    }
    const folded: Unit[] = [...grouped].map(([id, probes]) => {
      const worst = probes.reduce((a, b) => (isWorse(worse, b, a) ? b : a));
      return { id, verdict: worst.verdict, value: worstValue(worse, probes), probes };
    });
    out.push(fold(worse, quorum, labelKey, set.labels, folded));
  }
  return out;
}

function isWorse(worse: (a: number, b: number) => number, a: Pick<Observation, 'verdict' | 'value'>, b: Pick<Observation, 'verdict' | 'value'>): boolean {
  if (RANK[a.verdict] !== RANK[b.verdict]) return RANK[a.verdict] > RANK[b.verdict];
  if (a.value === null || b.value === null) return a.value !== null;
  return worse(a.value, b.value) < 0;
}

function worstValue(worse: (a: number, b: number) => number, probes: readonly UnitObservation[]): number | null {
  const values = probes.flatMap((p) => (p.value === null ? [] : [p.value])).sort(worse);
  return values[0] ?? null;
}

function fold(worse: (a: number, b: number) => number, quorum: Quorum, labelKey: string | null, labels: Record<string, string>, units: readonly Unit[]): Observation {
  const breaching = units.filter((u) => u.verdict === 'breach');
  const notClear = units.filter((u) => u.verdict !== 'clear');
  const verdict: Verdict = breaching.length >= quorum.min ? 'breach' : notClear.length >= quorum.min ? 'hold' : 'clear';
  const carrying = verdict === 'breach' ? breaching : notClear;
  const values = units.flatMap((u) => (u.value === null ? [] : [u.value])).sort(worse);
  const value = values[quorum.min - 1] ?? null;

  // The probes that saw it: within a label value, only those whose own verdict counts.
  const counted = (p: UnitObservation) => (verdict === 'breach' ? p.verdict === 'breach' : p.verdict !== 'clear');
  const probes = carrying.flatMap((u) => u.probes.filter(counted).map((p) => p.probe)).sort(byName);
  const evidence: QuorumEvidence = {
    min: quorum.min,
    by: quorum.by,
    count: carrying.length,
    probes: probes.slice(0, MAX_QUORUM_NAMES),
    ...(labelKey !== null && { values: carrying.map((u) => u.id).sort(byName).slice(0, MAX_QUORUM_NAMES) }),
  };
  const lines: QuorumUnitLine[] = units
    .flatMap((u) => u.probes)
    .sort((a, b) => (isWorse(worse, a, b) ? -1 : isWorse(worse, b, a) ? 1 : byName(a.probe, b.probe)))
    .slice(0, MAX_QUORUM_UNITS)
    .map((p) => ({ probe: p.probe, ...(labelKey !== null && { label: p.labelValue! }), value: p.value, verdict: p.verdict }));
  return { labels, value, verdict, evidence: { quorum: evidence, units: lines } };
}

/** The quorum part of an alert's evidence, when it has one (rows and bodies are plain JSON). */
export function quorumOf(evidence: Record<string, unknown>): QuorumEvidence | null {
  const parsed = quorumEvidenceSchema.safeParse(evidence.quorum);
  return parsed.success ? parsed.data : null;
}
