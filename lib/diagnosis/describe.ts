/**
 * How the diagnosis names what it saw: a path as people read it, sizes, and the key its
 * experiments are grouped by. Durations are lib/analysis/stats.ts `formatSeconds` (never
 * "0.0 s"), so that the findings and the signatures say a time the same way.
 */
import type { ExperimentPath } from './types';

/** "edge-fra-1 → squid-corp → api", "edge-fra-1 → direct → api": as the ladder findings say a path. */
export function pathText(p: ExperimentPath): string {
  return `${p.probe} → ${p.proxy} → ${p.target}`;
}

/** probe × target × proxy: where an experiment ran. */
export function pathKey(p: ExperimentPath): string {
  return `${p.probe}|${p.target}|${p.proxy}`;
}

/** "16 KiB", "1.5 MiB", "900 B": message sizes as a proxy's buffer settings state them. */
export function formatBytes(bytes: number): string {
  const units = [
    [1024 * 1024, 'MiB'],
    [1024, 'KiB'],
  ] as const;
  for (const [size, unit] of units) {
    if (bytes >= size) {
      const v = bytes / size;
      return `${Number.isInteger(v) ? v : v.toFixed(1)} ${unit}`;
    }
  }
  return `${bytes} B`;
}

/** Group by a key, keeping first-seen order of the keys (the callers sort what needs it). */
export function groupBy<T>(xs: Iterable<T>, key: (x: T) => string): Map<string, T[]> {
  const out = new Map<string, T[]>();
  for (const x of xs) {
    const k = key(x);
    const g = out.get(k);
    if (g) g.push(x);
    else out.set(k, [x]);
  }
  return out;
}
