/**
 * The report aggregates (db/schema.ts `attempt_lifetimes`, `duration_bins`, and the
 * findings' aggregates, db/queries/findings.ts), sealed as the endings aggregate is
 * (db/queries/sealed-aggregate.ts): the servers' sealer calls sealReportBins beside
 * sealEndingBins (server/ending-sealer.ts).
 */
import type { Db } from '../client';
import { ATTEMPT_LIFETIMES } from './attempt-lifetimes';
import { DURATION_BINS } from './duration-bins';
import { FINDINGS_AGGREGATES } from './findings';
import type { SealOutcome } from './sealed-aggregate';
import { sealAggregate } from './sealed-aggregate';

const REPORT_AGGREGATES = [ATTEMPT_LIFETIMES, DURATION_BINS, ...FINDINGS_AGGREGATES];

/** Seal up to `limit` closed dirty pairs of each report aggregate; `left` counts what remains. */
export async function sealReportBins(db: Db, options: { now: Date; limit?: number }): Promise<SealOutcome> {
  const outcome: SealOutcome = { sealed: 0, left: 0 };
  for (const aggregate of REPORT_AGGREGATES) {
    const one = await sealAggregate(db, aggregate, options);
    outcome.sealed += one.sealed;
    outcome.left += one.left;
  }
  return outcome;
}
