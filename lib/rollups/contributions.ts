/**
 * What one session row adds to the rollup kept at ingest (db/schema.ts: attempt_rollup).
 *
 * A session row changes as its events arrive (an end can even come before its open), so
 * ingest does not add "events" to the rollups: it subtracts what the row contributed
 * before the batch and adds what it contributes after. Whatever order and batching the
 * events came in, the rollups then equal a GROUP BY over the rows (the backfill migration,
 * db/migrations/0004_rollups_backfill.sql, is that GROUP BY; a test holds them equal).
 *
 * A row counts once in attempt_rollup when it has an outcome, keyed by the quarter-hour of
 * its attempt, its path, outcome, HTTP status (0 when none), error code ('' when none, and
 * always '' for an opened session, whose error code describes its end) and proxy reply
 * (first PROXY_REPLY_KEY_CHARS characters, '' when none). Ingest computes the differences
 * in SQL, set-based, in the batch's statement (db/queries/ingest-merge.ts), with the
 * backfill's expressions. (end_rollup, its companion for endings, was dropped in session
 * 11: the drops page reads endings from the sealed packs, lib/rollups/pack-endings.ts.)
 */

/**
 * The rollups' time resolution. A quarter of an hour: the handshake chart's bucket for a
 * day, and a whole fraction of every coarser bucket (1 h, 6 h, 1 d), while a week still
 * compresses to 672 rows per path and outcome.
 */
export const ROLLUP_BUCKET_MS = 15 * 60_000;
/** Proxy replies are free text from the proxy; long ones are cut so the key stays small. */
export const PROXY_REPLY_KEY_CHARS = 200;
