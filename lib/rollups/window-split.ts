/**
 * Split a window open at its start and closed at its end, (from, to] (the overview's
 * windows), between whole buckets read from a sealed aggregate and pieces read from the
 * rows: the partial buckets at both ends and every dirty bucket. The open/closed ends
 * matter: a row at exactly `from` lies in a whole bucket [from, from + b) but not in the
 * window, and one at exactly `to` in none of the whole buckets before it.
 */
export interface WindowPiece {
  from: Date;
  to: Date;
  /** Whether `to` itself belongs to the piece (only the window's last piece). */
  toClosed: boolean;
  /** Whether `from` itself is left out (only the window's first piece). */
  fromOpen: boolean;
}

export interface WindowSplit {
  /** Whole, clean buckets [from, to), merged. */
  sealed: { from: Date; to: Date }[];
  /** The rest of the window. */
  raw: WindowPiece[];
}

/** `dirty` holds the start of every bucket whose rows are not all in the aggregate (ms). */
export function splitWindow(from: Date, to: Date, bucketMs: number, dirty: Iterable<number>): WindowSplit {
  const f = from.getTime();
  const t = to.getTime();
  if (!(f < t)) return { sealed: [], raw: [] };
  // The first bucket that starts after `from`, and the one that holds `to`.
  const first = Math.floor(f / bucketMs) * bucketMs + bucketMs;
  const last = Math.floor(t / bucketMs) * bucketMs;
  if (first > last) return { sealed: [], raw: [{ from, to, fromOpen: true, toClosed: true }] };
  const dirtySet = new Set(dirty);
  const sealed: [number, number][] = [];
  const raw: WindowPiece[] = [{ from, to: new Date(first), fromOpen: true, toClosed: false }];
  for (let h = first; h < last; h += bucketMs) {
    if (dirtySet.has(h)) {
      const prev = raw[raw.length - 1]!;
      if (prev.to.getTime() === h && !prev.toClosed) prev.to = new Date(h + bucketMs);
      else raw.push({ from: new Date(h), to: new Date(h + bucketMs), fromOpen: false, toClosed: false });
      continue;
    }
    const prev = sealed[sealed.length - 1];
    if (prev && prev[1] === h) prev[1] = h + bucketMs;
    else sealed.push([h, h + bucketMs]);
  }
  const prev = raw[raw.length - 1]!;
  if (prev.to.getTime() === last) {
    prev.to = to;
    prev.toClosed = true;
  } else raw.push({ from: new Date(last), to, fromOpen: false, toClosed: true });
  return { sealed: sealed.map(([a, b]) => ({ from: new Date(a), to: new Date(b) })), raw };
}
