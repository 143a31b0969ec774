/**
 * The quarter-hour rollup's backfill (db/migrations/0004_rollups_backfill.sql): the GROUP BY
 * over the session rows that ingest keeps attempt_rollup equal to. A test compares ingest
 * with it (test/db/rollups.test.ts) and the bench's seed fills the rollup with it
 * (bench/dashboard-seed.ts). Its statement for end_rollup, dropped by migration 0023 once
 * nothing read it, is left out.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';

export function rollupBackfillStatements(): string[] {
  return readFileSync(join(__dirname, 'migrations/0004_rollups_backfill.sql'), 'utf8')
    .split('--> statement-breakpoint')
    .map((s) => s.trim())
    .filter((s) => s !== '' && !s.includes('"end_rollup"'));
}
