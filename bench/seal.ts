/**
 * Seal every closed hour of the aggregates (db/queries/ending-bins.ts, report-bins.ts), as the
 * servers' sealer (server/ending-sealer.ts) would have while the seeded days went by.
 * Bounded: a round seals up to 500 (hour, probe) pairs, and a round that seals none ends it.
 */
import type { Db } from '../db/client';
import { openDatabase } from '../db/open';
import { sealEndingBins } from '../db/queries/ending-bins';
import { sealReportBins } from '../db/queries/report-bins';

/** sealAll on the PostgreSQL database at `url`, through a connection of its own. */
export async function sealDatabase(url: string, now: Date): Promise<number> {
  const database = await openDatabase({ kind: 'postgres', url, poolSize: 1 });
  try {
    return await sealAll(database.db, now);
  } finally {
    await database.close();
  }
}

export async function sealAll(db: Db, now: Date): Promise<number> {
  let total = 0;
  for (let round = 0; round < 10_000; round++) {
    const endings = await sealEndingBins(db, { now, limit: 500 });
    const reports = await sealReportBins(db, { now, limit: 500 });
    total += endings.sealed + reports.sealed;
    if (endings.left + reports.left === 0 || endings.sealed + reports.sealed === 0) break;
  }
  return total;
}
