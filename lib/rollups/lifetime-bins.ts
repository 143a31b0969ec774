/**
 * Lifetime bins for the paths matrix's median (db/schema.ts `attempt_lifetimes`): a log
 * scale with a bounded relative error, as DDSketch bins (Datadog's distributions): bin 0
 * holds [0, 1 ms), bin i >= 1 holds [GAMMA^(i-1), GAMMA^i) ms. Any quantile read back from
 * the bins is within MEDIAN_LIFETIME_RELATIVE_ERROR of percentile_cont over the durations
 * themselves (within 0.5 ms below 1 ms).
 *
 * Why not exact: an exact median needs every duration of the range sorted, which is what
 * made the matrix cost ~0.25 s a day and ~1.7 s a week at a million sessions; bins merge
 * across hours and paths, durations do not. 1 % is below what a person reads off a median
 * lifetime (the "exact N seconds" signatures are found at 100 ms by the analysis), and the
 * answers say it (PathsMatrix.medianLifetimeRelativeError).
 *
 * The SQL side computes the bin (db/queries/attempt-lifetimes.ts `LIFETIME_BIN`) and the
 * sealed and raw parts use that one expression; `lifetimeBin` here mirrors it for tests.
 */

/** The largest relative error of a median read from the bins. */
export const MEDIAN_LIFETIME_RELATIVE_ERROR = 0.01;
/** Bin ratio: a value represented by its bin's REPRESENTATIVE is within the error above. */
export const LIFETIME_GAMMA = (1 + MEDIAN_LIFETIME_RELATIVE_ERROR) / (1 - MEDIAN_LIFETIME_RELATIVE_ERROR);

/** The bin of a duration (ms); mirrors LIFETIME_BIN in SQL. */
export function lifetimeBin(durationMs: number): number {
  return durationMs < 1 ? 0 : 1 + Math.floor(Math.log(durationMs) / Math.log(LIFETIME_GAMMA));
}

/**
 * The value a bin stands for: 0.5 ms for bin 0, else the point of [lo, hi) whose relative
 * distance to both ends is the same, 2·lo·hi / (lo + hi) (within (GAMMA - 1) / (GAMMA + 1)).
 */
export function lifetimeOfBin(bin: number): number {
  if (bin <= 0) return 0.5;
  const lo = LIFETIME_GAMMA ** (bin - 1);
  return (2 * lo * LIFETIME_GAMMA) / (1 + LIFETIME_GAMMA);
}

/**
 * percentile_cont(0.5) of a binned sample, each duration replaced by its bin's value: the
 * middle rank's bin (0-based rank floor((n - 1) / 2)) and the next rank's (n / 2; the same
 * rank when n is odd), averaged. Null for no sample.
 */
export function binnedMedian(n: number, lowerBin: number | null, upperBin: number | null): number | null {
  if (n === 0 || lowerBin === null || upperBin === null) return null;
  return (lifetimeOfBin(lowerBin) + lifetimeOfBin(upperBin)) / 2;
}
