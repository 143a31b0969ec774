/**
 * The time axis of a path's connection timeline: zoomed to the sessions shown (a 60 s session
 * is invisible on a 30-day axis), at least a minute wide, and never outside the range asked
 * for. A session opened before the range starts at its left edge; one still open, or ended
 * after the range, runs off its right edge instead of stretching the axis past `to`.
 */
export function timelineDomain(spans: readonly (readonly [number, number])[], fromMs: number, toMs: number): [number, number] {
  if (spans.length === 0) return [fromMs, toMs];
  const start = Math.max(fromMs, Math.min(...spans.map((s) => s[0])));
  const lastEnd = Math.max(...spans.map((s) => s[1]));
  return [start, Math.min(Math.max(lastEnd, start + 60_000), Math.max(toMs, start + 1))];
}
