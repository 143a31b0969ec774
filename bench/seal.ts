/**
 * Seal every closed hour of the endings aggregate (db/queries/ending-bins.ts), as the
 * servers' sealer (server/ending-sealer.ts) would have while the seeded days went by.
 * Bounded: a round seals up to 500 (hour, probe) pairs, and a round that seals none ends it.
 */
import type { Db } from '../db/client';
import { sealEndingBins } from '../db/queries/ending-bins';

export async function sealAll(db: Db, now: Date): Promise<number> {
  let total = 0;
  for (let round = 0; round < 10_000; round++) {
    const { sealed, left } = await sealEndingBins(db, { now, limit: 500 });
    total += sealed;
    if (left === 0 || sealed === 0) break;
  }
  return total;
}
