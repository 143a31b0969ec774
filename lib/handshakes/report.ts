/**
 * What GET /api/v1/handshakes answers and the handshake page renders: the upgrade success
 * ratio over time and the failures grouped by HTTP status, proxy refusal and socket error,
 * each with the paths it hit.
 */
import type { Outcome } from '../contracts/ingest';

/** Time buckets for the ratio series, smallest first. */
export const HANDSHAKE_BUCKETS = [
  ['1m', 60_000],
  ['5m', 300_000],
  ['15m', 900_000],
  ['1h', 3_600_000],
  ['6h', 21_600_000],
  ['1d', 86_400_000],
] as const;
/** Enough points to see a dip, few enough to read. */
export const MAX_BUCKETS = 120;

/** The smallest bucket that covers `rangeMs` in at most MAX_BUCKETS points (1 day beyond that). */
export function bucketFor(rangeMs: number): { name: string; ms: number } {
  if (!(rangeMs > 0)) throw new RangeError(`rangeMs must be positive, got ${rangeMs}`);
  const found = HANDSHAKE_BUCKETS.find(([, ms]) => Math.ceil(rangeMs / ms) <= MAX_BUCKETS) ?? HANDSHAKE_BUCKETS.at(-1)!;
  return { name: found[0], ms: found[1] };
}

export interface PathCount {
  target: string;
  proxy: string;
  count: number;
}

export interface FailureGroup<V> {
  value: V;
  count: number;
  /** The paths it hit, most first. */
  paths: PathCount[];
}

export interface HandshakeBucket {
  /** ISO start of the bucket. */
  at: string;
  attempts: number;
  /** Upgrades answered 101. */
  upgrades: number;
  /** upgrades / attempts; null for a bucket without attempts. */
  ratio: number | null;
}

export interface HandshakesReport {
  scope: { from: string; to: string; probe?: string; label?: string; proxy?: string; target?: string; profile?: string };
  bucket: string;
  bucketMs: number;
  attempts: number;
  upgrades: number;
  ratio: number | null;
  outcomes: { outcome: Outcome; count: number }[];
  series: HandshakeBucket[];
  byStatus: FailureGroup<number>[];
  byProxyReply: FailureGroup<string>[];
  byErrorCode: FailureGroup<string>[];
}
