/** A histogram's bin, as the analysis reads drop durations: where it starts and what it holds. */
export interface Bin {
  /** Start of the bin, ms. */
  startMs: number;
  count: number;
}

/** Whether the bins are in ascending order of their starts (equal starts allowed). */
export function ascending(bins: readonly Bin[]): boolean {
  for (let i = 1; i < bins.length; i++) if (bins[i]!.startMs < bins[i - 1]!.startMs) return false;
  return true;
}
