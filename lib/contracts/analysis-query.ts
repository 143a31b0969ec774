/** `GET /api/v1/analysis`: the scope to analyse. Default: the last 24 hours. */
import { z } from 'zod';

const name = z.string().min(1).max(128);

export const analysisQuerySchema = z
  .strictObject({
    from: z.iso.datetime({ offset: true }).optional(),
    to: z.iso.datetime({ offset: true }).optional(),
    probe: name.optional(),
    proxy: name.optional(),
    target: name.optional(),
    /** `key=value`: probes carrying that label. */
    label: z.string().regex(/^[A-Za-z_][A-Za-z0-9_]{0,63}=[^=]{1,128}$/, 'expected key=value, e.g. region=eu').optional(),
    profile: name.optional(),
  })
  .refine((q) => !q.from || !q.to || Date.parse(q.from) < Date.parse(q.to), { message: 'expected from before to', path: ['from'] })
  .refine((q) => !q.from || !q.to || Date.parse(q.to) - Date.parse(q.from) <= 31 * 86_400_000, { message: 'expected a range of at most 31 days', path: ['to'] });
export type AnalysisQuery = z.infer<typeof analysisQuerySchema>;

export const DEFAULT_ANALYSIS_RANGE_MS = 86_400_000;

/** The label filter of a parsed query, split. */
export function labelOf(q: AnalysisQuery): { key: string; value: string } | undefined {
  if (!q.label) return undefined;
  const i = q.label.indexOf('=');
  return { key: q.label.slice(0, i), value: q.label.slice(i + 1) };
}
