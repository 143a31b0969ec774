/**
 * The report aggregates (db/schema.ts `attempt_lifetimes`, `duration_bins`), sealed as the
 * endings aggregate is (db/queries/sealed-aggregate.ts): the servers' sealer calls
 * sealReportBins beside sealEndingBins (server/ending-sealer.ts).
 */
import type { Db } from '../client';
import { ATTEMPT_LIFETIMES } from './attempt-lifetimes';
import { DURATION_BINS } from './duration-bins';
import type { SealOutcome } from './sealed-aggregate';
import { sealAggregate } from './sealed-aggregate';

/** Seal up to `limit` closed dirty pairs of each report aggregate; `left` counts what remains. */
export async function sealReportBins(db: Db, options: { now: Date; limit?: number }): Promise<SealOutcome> {
  const a = await sealAggregate(db, ATTEMPT_LIFETIMES, options);
  const b = await sealAggregate(db, DURATION_BINS, options);
  return { sealed: a.sealed + b.sealed, left: a.left + b.left };
}
