/** `GET /api/v1/sessions`: filters for listing canary sessions, newest attempt first. */
import { z } from 'zod';
import { endKinds, outcomes } from './ingest';

const filterName = z.string().min(1).max(128);

export const sessionListQuerySchema = z.strictObject({
  probe: filterName.optional(),
  target: filterName.optional(),
  proxy: filterName.optional(),
  profile: filterName.optional(),
  outcome: z.enum(outcomes).optional(),
  endKind: z.enum(endKinds).optional(),
  /** Attempts at or after this instant. */
  from: z.iso.datetime({ offset: true }).optional(),
  /** Attempts before this instant. */
  to: z.iso.datetime({ offset: true }).optional(),
  limit: z.coerce.number().int().min(1).max(1000).default(100),
});
export type SessionListQuery = z.infer<typeof sessionListQuerySchema>;
