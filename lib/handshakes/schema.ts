/**
 * The zod schema of what GET /api/v1/handshakes answers: the live handshake page parses
 * every refetched answer with it. {@link HandshakesReport} stays the source of truth; the
 * check at the bottom keeps both from drifting apart.
 */
import { z } from 'zod';
import { reportScopeSchema } from '../dashboard/scope';
import { outcomes } from '../contracts/ingest';
import type { Same } from '../realtime/same-shape';
import type { HandshakesReport } from './report';

const failureGroup = <V extends z.ZodType<string | number>>(value: V) =>
  z.object({
    value,
    count: z.number().int().nonnegative(),
    paths: z.array(z.object({ target: z.string(), proxy: z.string(), count: z.number().int().nonnegative() })),
  });

export const handshakesReportSchema = z.object({
  scope: reportScopeSchema,
  bucket: z.string(),
  bucketMs: z.number().positive(),
  attempts: z.number().int().nonnegative(),
  upgrades: z.number().int().nonnegative(),
  ratio: z.number().nullable(),
  outcomes: z.array(z.object({ outcome: z.enum(outcomes), count: z.number().int().nonnegative() })),
  series: z.array(z.object({ at: z.string(), attempts: z.number().int().nonnegative(), upgrades: z.number().int().nonnegative(), ratio: z.number().nullable() })),
  byStatus: z.array(failureGroup(z.number())),
  byProxyReply: z.array(failureGroup(z.string())),
  byErrorCode: z.array(failureGroup(z.string())),
});

const _report: Same<z.infer<typeof handshakesReportSchema>, HandshakesReport> = true;
void _report;
