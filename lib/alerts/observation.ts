/**
 * What an evaluation sees for one label set, and how the states of a rule move on it.
 * A label set seen before but absent now (no drops on that path any more, no data) counts
 * as clear, so its alert can resolve.
 */
import { step, type AlertState, type AlertTiming, type Step, type Verdict } from './state-machine';

export interface Observation {
  labels: Record<string, string>;
  /** The measured value (drops/min, ratio, count, ms, N s); null when there is none. */
  value: number | null;
  verdict: Verdict;
  /** Kind-specific detail for people and receivers (a signature's N, count and verdict). */
  evidence: Record<string, unknown>;
}

/** A stable key for a label set: sorted entries. `{}` for a rule without grouping. */
export function labelsKey(labels: Record<string, string>): string {
  return JSON.stringify(Object.entries(labels).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));
}

export interface StoredAlert extends AlertState {
  labels: Record<string, string>;
}

export interface AlertUpdate extends Step {
  key: string;
  labels: Record<string, string>;
  value: number | null;
  evidence: Record<string, unknown>;
}

/** Every label set's next state: observed ones, and stored ones not observed (clear). */
export function planUpdates(stored: ReadonlyMap<string, StoredAlert>, observations: readonly Observation[], timing: AlertTiming, now: number): AlertUpdate[] {
  const out: AlertUpdate[] = [];
  const seen = new Set<string>();
  for (const o of observations) {
    const key = labelsKey(o.labels);
    if (seen.has(key)) continue;
    seen.add(key);
    out.push({ key, labels: o.labels, value: o.value, evidence: o.evidence, ...step(stored.get(key) ?? null, o.verdict, timing, now) });
  }
  for (const [key, s] of stored) {
    if (seen.has(key) || s.status === 'inactive' || s.status === 'resolved') continue;
    out.push({ key, labels: s.labels, value: null, evidence: { noData: true }, ...step(s, 'clear', timing, now) });
  }
  return out;
}
