/**
 * socket.io across servers on one PostgreSQL: @socket.io/postgres-adapter relays what one
 * server emits to the others through LISTEN/NOTIFY, on a `pg` pool of its own (postgres.js,
 * which the rest of the server uses, is not what the adapter speaks). Only with
 * DATABASE_URL: on PGlite there is one process per data directory, and nothing to relay.
 *
 * The adapter keeps payloads over NOTIFY's 8000 bytes in a table of its own,
 * `socket_io_attachments` (id, created_at, payload; rows older than 30 s deleted by each
 * server), outside our migrations and our schema: created here, as the adapter's README
 * does, if missing.
 *
 * Failure: while PostgreSQL cannot be reached, the adapter's LISTEN connection ends and it
 * reconnects every ~2 s by itself; a push that cannot be relayed is logged and lost for the
 * other servers' browsers (theirs refetch on the next push, or on their own clock). None of
 * it may end the process: `pg` emits 'error' on a client that lost its server, and an
 * 'error' without a listener would crash it, so every client of the pool gets one here.
 */
import { createAdapter } from '@socket.io/postgres-adapter';
import pg from 'pg';
import type { Logger } from '../lib/log';
import { retryAtStart } from '../db/start-wait';

/** The adapter's table (its default name). */
export const ATTACHMENTS_TABLE = 'socket_io_attachments';

/** Advisory lock key under which servers starting together create the table one at a time ("sock"). */
const ATTACHMENTS_LOCK_KEY = 0x736f636b;

export interface LiveAdapter {
  /** For `io.adapter(...)`. */
  adapter: ReturnType<typeof createAdapter>;
  /** End the pool; after io.close(), which closes the adapter's LISTEN connection. */
  close(): Promise<void>;
}

/**
 * A pool on `url`, the attachments table, and the adapter factory.
 * @throws when PostgreSQL cannot be reached or refuses the table (the server does not start).
 */
export async function createLiveAdapter(url: string, log: Logger, startWaitMs = 0): Promise<LiveAdapter> {
  const pool = new pg.Pool({
    connectionString: url,
    // One connection stays checked out for LISTEN; NOTIFY and the attachments use the rest.
    max: 4,
    // As the server's own pool: fail within seconds while the database cannot be reached.
    connectionTimeoutMillis: 2000,
    application_name: 'dropscope-live',
  });
  // An idle client that loses its server: the pool drops it and says so here.
  pool.on('error', (err) => log.warn({ err }, 'a live relay connection to PostgreSQL was lost'));
  // A checked-out client has no pool listener (the adapter's LISTEN client is checked out
  // for good): without this its 'error' would crash the process when PostgreSQL goes away.
  // Its 'end' still fires, and the adapter reconnects on it.
  pool.on('connect', (client) => client.on('error', (err) => log.warn({ err }, 'the live relay lost its PostgreSQL connection; reconnecting')));
  try {
    await retryAtStart(() => ensureAttachmentsTable(pool), {
      waitMs: startWaitMs,
      onRetry: (err, attempt, delayMs) => log.warn({ err, attempt, delayMs }, 'the live relay cannot reach PostgreSQL yet; trying again'),
    });
  } catch (err) {
    await pool.end().catch(() => {});
    throw err;
  }
  const adapter = createAdapter(relayPool(pool), {
    tableName: ATTACHMENTS_TABLE,
    errorHandler: (err) => log.warn({ err }, 'relaying a live push through PostgreSQL failed'),
  });
  return { adapter, close: () => pool.end() };
}

/**
 * The adapter's DDL, from its README. Servers started at the same moment would race on
 * CREATE TABLE IF NOT EXISTS (the loser fails on pg_type's unique index): they take turns
 * under a transaction-scoped advisory lock.
 */
async function ensureAttachmentsTable(pool: pg.Pool): Promise<void> {
  const client = await pool.connect();
  try {
    await client.query('begin');
    await client.query('select pg_advisory_xact_lock($1)', [ATTACHMENTS_LOCK_KEY]);
    await client.query(`create table if not exists ${ATTACHMENTS_TABLE} (id bigserial unique, created_at timestamptz default now(), payload bytea)`);
    await client.query('commit');
  } catch (err) {
    await client.query('rollback').catch(() => {});
    throw err;
  } finally {
    client.release();
  }
}

/**
 * What the adapter is given for a pool. It takes one client for LISTEN and keeps it; when
 * that connection ends (PostgreSQL restarted, the backend terminated) it forgets the client
 * and connects anew, but never releases the dead one, which the pool then counts as in use
 * for ever: pool.end() at shutdown waited on it until the process was killed. Released here,
 * as broken, once it ends. The adapter (0.5) uses nothing of the pool but connect() and
 * query(); its close() removes this 'end' listener with its own before releasing a live client.
 */
function relayPool(pool: pg.Pool): pg.Pool {
  const connect = async (): Promise<pg.PoolClient> => {
    const client = await pool.connect();
    client.once('end', () => {
      try {
        client.release(true);
      } catch {
        // Released already (by the adapter's close): nothing is left to free.
      }
    });
    return client;
  };
  return { connect, query: pool.query.bind(pool) } as unknown as pg.Pool;
}
