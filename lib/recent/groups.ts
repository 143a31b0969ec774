/** Helpers the in-memory reports share: grouping paths, probe names, the SQL median. */
import type { PathInfo } from './sessions';
import type { ProbeRef } from './scope';

export function nameOf(probes: readonly ProbeRef[]): (id: number) => string {
  const names = new Map(probes.map((p) => [p.id, p.name]));
  return (id) => names.get(id) ?? String(id);
}

/** percentile_cont(0.5) of the values: the mean of the middle two when their number is even. */
export function median(values: readonly number[]): number | null {
  if (values.length === 0) return null;
  // A typed array sorts numbers without a comparator call per comparison (a cell of the
  // paths matrix holds tens of thousands of durations).
  const v = Float64Array.from(values).sort();
  const pos = (v.length - 1) / 2;
  const lo = Math.floor(pos);
  return v[lo]! + (pos - lo) * (v[Math.ceil(pos)]! - v[lo]!);
}

/**
 * Each path's group among `groups` by `keyOf` (-1 where `include` is false): rows then
 * find their group with one array read instead of building a key per row.
 */
export function groupPaths<G>(paths: readonly PathInfo[], include: (p: PathInfo, i: number) => boolean, keyOf: (p: PathInfo) => string, make: (p: PathInfo) => G): { groups: G[]; groupOf: Int32Array } {
  const index = new Map<string, number>();
  const groups: G[] = [];
  const groupOf = Int32Array.from(paths, (p, i) => {
    if (!include(p, i)) return -1;
    const key = keyOf(p);
    let g = index.get(key);
    if (g === undefined) {
      index.set(key, (g = groups.length));
      groups.push(make(p));
    }
    return g;
  });
  return { groups, groupOf };
}
