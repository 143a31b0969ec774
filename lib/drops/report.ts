/**
 * What GET /api/v1/drops answers and the drops page renders, one shape for both. The zod
 * schema checks answers the browser refetches; the types are inferred from it.
 */
import { z } from 'zod';
import { reportScopeSchema } from '../dashboard/scope';
import { endKinds } from '../contracts/ingest';

const bin = z.object({ startMs: z.number(), count: z.number().int().nonnegative() });

export const dropHistogramSchema = z.object({
  /** Drops counted in this histogram. */
  total: z.number().int().nonnegative(),
  /**
   * Bins from `fromMs`, every one present (zeros too) when `dense`; when the span would
   * take more than MAX_DENSE_BINS bins, only the filled bins and their empty neighbours.
   */
  bins: z.array(bin),
  dense: z.boolean(),
});
export type DropHistogram = z.infer<typeof dropHistogramSchema>;

export const clusterSignatureSchema = z.object({
  key: z.string(),
  dimension: z.enum(['age', 'idle']),
  nMs: z.number(),
  nSeconds: z.number(),
  /** The smallest and largest value among the signature's members read. */
  minMs: z.number(),
  maxMs: z.number(),
  /** The window the analysis drew around N: the drops whose value lies in [lowMs, highMs) are the cluster. */
  window: z.object({ lowMs: z.number(), highMs: z.number() }),
  count: z.number().int(),
  kind: z.enum(['idle', 'lifetime', 'undetermined']),
  verdict: z.string(),
});
export type ClusterSignature = z.infer<typeof clusterSignatureSchema>;

export const clusterDropSchema = z.object({
  sessionId: z.string(),
  endedAt: z.string(),
  probe: z.string(),
  target: z.string(),
  proxy: z.string(),
  profile: z.string(),
  durationMs: z.number().nullable(),
  /** Age as the histogram counts it (a silent death dated by its last byte). */
  ageMs: z.number().nullable(),
  idleMs: z.number().nullable(),
  endKind: z.enum(endKinds),
  closeCode: z.number().nullable(),
  egress: z.string().nullable(),
});
export type ClusterDrop = z.infer<typeof clusterDropSchema>;

export const dropsReportSchema = z.object({
  scope: reportScopeSchema,
  bin: z.string(),
  binWidthMs: z.number().positive(),
  scale: z.enum(['linear', 'log']),
  totalDrops: z.number().int().nonnegative(),
  /** Age at the drop: duration, or for a pong timeout duration minus the silence before it. */
  age: dropHistogramSchema,
  /** least(since last received, since last sent), pong timeouts excluded (unknown). */
  idle: dropHistogramSchema,
  endKinds: z.array(z.object({ endKind: z.enum(endKinds), count: z.number().int() })),
  closeCodes: z.array(z.object({ closeCode: z.number().nullable(), count: z.number().int() })),
  signatures: z.array(clusterSignatureSchema),
  /** What the drops say that is no signature: connections closed right after their 101 (lib/analysis/early-close.ts). */
  earlyCloses: z.array(z.object({ cause: z.string(), severity: z.enum(['critical', 'warning', 'info']), title: z.string(), detail: z.string(), recommendation: z.string() })),
  /** True when a label or profile filter is set: the analysis does not narrow by those. */
  signaturesIgnoreFilters: z.boolean(),
  cluster: z
    .object({
      nSeconds: z.number(),
      signature: clusterSignatureSchema.nullable(),
      total: z.number().int(),
      drops: z.array(clusterDropSchema),
    })
    .nullable(),
});
export type DropsReport = z.infer<typeof dropsReportSchema>;

/** Rows in the cluster table at most. */
export const CLUSTER_LIMIT = 200;
/** Above this many bins from the first filled one to the last, bins are sent sparse. */
export const MAX_DENSE_BINS = 2400;
