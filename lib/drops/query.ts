/**
 * The drops page's own parameters, beside the shared dashboard scope: the histogram's bin
 * width, the y scale, and the signature cluster whose sessions are listed. The scope's
 * schema extended, so the scope's refinements still apply; parsed (page and endpoint alike)
 * with lib/dashboard/query-params.ts parseScopedQuery, which sets unknown parameters aside
 * and applies the range limit that needs the clock.
 */
import { z } from 'zod';
import { dashboardScopeSchema } from '../dashboard/scope';
import { barParamSchema } from './bin-sessions';

/** Bin widths a person picks; `auto` fits the longest drop in about 60 bins. */
export const BIN_WIDTHS = {
  '100ms': 100,
  '1s': 1000,
  '5s': 5000,
  '10s': 10_000,
  '30s': 30_000,
  '1m': 60_000,
  '5m': 300_000,
  '15m': 900_000,
  '1h': 3_600_000,
} as const;
export type BinWidth = keyof typeof BIN_WIDTHS | 'auto';
export const BIN_CHOICES = ['auto', ...(Object.keys(BIN_WIDTHS) as (keyof typeof BIN_WIDTHS)[])] as const;
export const Y_SCALES = ['linear', 'log'] as const;
export type YScale = (typeof Y_SCALES)[number];

export const dropsQuerySchema = dashboardScopeSchema.safeExtend({
  bin: z.enum(BIN_CHOICES).optional(),
  scale: z.enum(Y_SCALES).optional(),
  /** A signature's N in seconds, as the analysis rounds it (60, 59.9). */
  cluster: z
    .string()
    .regex(/^\d{1,7}(\.\d{1,3})?$/, 'expected N in seconds, e.g. 60')
    .transform(Number)
    .optional(),
  /** A histogram bar whose sessions are listed (lib/drops/bin-sessions.ts): the page's, the endpoint ignores it. */
  bar: barParamSchema.optional(),
});
export type DropsQuery = z.infer<typeof dropsQuerySchema>;

/** The page's own keys, appended after the scope's in a stable order. */
export const DROPS_PARAMS = ['bin', 'scale', 'cluster', 'bar'] as const;

/** Split a parsed query into the shared scope's part and the page's own, defaults filled. */
export function splitDropsQuery(q: DropsQuery): { scope: Omit<DropsQuery, (typeof DROPS_PARAMS)[number]>; bin: BinWidth; scale: YScale; cluster?: number } {
  const { bin, scale, cluster, bar: _bar, ...scope } = q;
  return { scope, bin: bin ?? 'auto', scale: scale ?? 'linear', ...(cluster !== undefined && { cluster }) };
}

