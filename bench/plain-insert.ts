/**
 * The bench's baseline: a plain multi-row `INSERT ... VALUES (...), (...)` straight
 * through the driver (postgres.js or PGlite), no ORM, no conflict handling, no ledger.
 * It is what storing the same rows costs the database itself, the ceiling the ingest
 * API is measured against.
 */
import { getTableColumns, getTableName } from 'drizzle-orm';
import type { PgTable } from 'drizzle-orm/pg-core';
import { once } from 'node:events';
import net from 'node:net';
import { finished } from 'node:stream/promises';
import postgres from 'postgres';
import type { Database } from '../db/client';

/** Rows per statement: 1000 session rows x 38 columns stays under PostgreSQL's 65,535 parameters. */
export const PLAIN_INSERT_ROWS = 1000;

type RawClient =
  | { unsafe(query: string, params: unknown[]): Promise<unknown> } // postgres.js
  | { query(query: string, params: unknown[]): Promise<unknown> }; // PGlite

/** Insert `rows` (shaped like `$inferInsert`) into `table`, PLAIN_INSERT_ROWS per statement. */
export async function plainInsert(database: Database, table: PgTable, rows: readonly Record<string, unknown>[]): Promise<void> {
  const client = (database.db as unknown as { $client: RawClient }).$client;
  const run = (text: string, params: unknown[]) => ('unsafe' in client ? client.unsafe(text, params) : client.query(text, params));
  const columns = Object.entries(getTableColumns(table));
  const head = `insert into "${getTableName(table)}" (${columns.map(([, c]) => `"${snake(c.name)}"`).join(', ')}) values `;
  for (let start = 0; start < rows.length; start += PLAIN_INSERT_ROWS) {
    const part = rows.slice(start, start + PLAIN_INSERT_ROWS);
    const params: unknown[] = [];
    const tuples: string[] = [];
    for (const row of part) {
      // Explicit casts, so both drivers can send every value as text or a number.
      tuples.push(`(${columns.map(([key, c]) => `$${params.push(toParam(row[key]))}::${c.getSQLType()}`).join(', ')})`);
    }
    await run(head + tuples.join(', '), params);
  }
}

function toParam(value: unknown): unknown {
  if (value === undefined || value === null) return null;
  if (value instanceof Date) return value.toISOString();
  if (typeof value === 'object') return JSON.stringify(value);
  return value;
}

function snake(key: string): string {
  return key.replace(/[A-Z]/g, (c) => `_${c.toLowerCase()}`);
}

/**
 * The honest floor on PostgreSQL: `COPY ... FROM STDIN (FORMAT csv)` of the same rows, the
 * fastest way the database takes rows at all (no parse per row, no plan).
 *
 * `rows` as the CSV that {@link copyCsv} sends, PLAIN_INSERT_ROWS rows per chunk. Built
 * apart so that a bench can build it before its clock starts, as it serializes the API's
 * bodies before the clock (session 11: the floor's own CSV building was timed, the API's
 * JSON building was not, which flattered the API).
 */
export function csvChunks(table: PgTable, rows: readonly Record<string, unknown>[]): CsvChunks {
  const columns = Object.entries(getTableColumns(table));
  const chunks: string[] = [];
  for (let start = 0; start < rows.length; start += PLAIN_INSERT_ROWS) {
    chunks.push(rows.slice(start, start + PLAIN_INSERT_ROWS).map((row) => `${columns.map(([key]) => csv(row[key])).join(',')}\n`).join(''));
  }
  return { statement: `copy "${getTableName(table)}" (${columns.map(([, c]) => `"${snake(c.name)}"`).join(', ')}) from stdin (format csv)`, chunks };
}

export interface CsvChunks {
  statement: string;
  chunks: string[];
}

/**
 * A client for the floor: postgres.js on the same server and database as `database`, with
 * `max` connections already open and warm (neither is the floor's work), its sockets
 * without Nagle's delay. postgres.js leaves Nagle on, and a COPY ends with two writes (the
 * last data, then CopyDone): the second waited for PostgreSQL's delayed ACK, about 90 ms
 * per COPY on this machine (a 2-row COPY took 91 ms, 5 ms without Nagle), which made the
 * floor look slower than it is (session 11). Null on PGlite, which cannot stream COPY.
 */
export async function floorClient(database: Database, max: number, warm: CsvChunks): Promise<FloorClient | null> {
  if (database.kind !== 'postgres') return null;
  const o = (database.db as unknown as { $client: { options: PgOptions } }).$client.options;
  const [host, port] = [o.host[0]!, o.port[0]!];
  // `socket` is in postgres.js's README ("Custom socket") but not in its types.
  const custom: object = { socket: () => net.connect(port, host).setNoDelay(true) };
  const client = postgres({ host, port, user: o.user, pass: o.pass ?? undefined, database: o.database, max, onnotice: () => {}, ...custom });
  // Warm every connection as the API's pool is warm when it is timed: a COPY of `warm`,
  // rolled back, loads the table's caches and compiles its statement triggers (plpgsql)
  // in that backend, work the timed COPY should not carry.
  await Promise.all(
    Array.from({ length: max }, () =>
      client
        .begin(async (tx) => {
          await copyCsv(tx, warm);
          throw ROLLBACK;
        })
        .catch((err: unknown) => {
          if (err !== ROLLBACK) throw err;
        }),
    ),
  );
  return { copy: (data) => copyCsv(client, data), end: () => client.end({ timeout: 5 }) };
}
const ROLLBACK = new Error('rolled back on purpose');

export interface FloorClient {
  /** Send prepared CSV by one COPY FROM STDIN on one of the client's connections. */
  copy(data: CsvChunks): Promise<void>;
  end(): Promise<void>;
}

type PgOptions = { host: string[]; port: number[]; user: string; pass: string | null; database: string };

async function copyCsv(client: postgres.Sql | postgres.TransactionSql, data: CsvChunks): Promise<void> {
  const stream = await client.unsafe(data.statement).writable();
  for (const chunk of data.chunks) {
    if (!stream.write(chunk)) await once(stream, 'drain');
  }
  stream.end();
  await finished(stream);
}

function csv(value: unknown): string {
  const v = toParam(value);
  if (v === null) return '';
  if (typeof v === 'number' || typeof v === 'bigint') return String(v);
  if (typeof v === 'boolean') return v ? 't' : 'f';
  return `"${String(v).replace(/"/g, '""')}"`;
}
