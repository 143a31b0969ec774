/**
 * The bench's baseline: a plain multi-row `INSERT ... VALUES (...), (...)` straight
 * through the driver (postgres.js or PGlite), no ORM, no conflict handling, no ledger.
 * It is what storing the same rows costs the database itself, the ceiling the ingest
 * API is measured against.
 */
import { getTableColumns, getTableName } from 'drizzle-orm';
import type { PgTable } from 'drizzle-orm/pg-core';
import { once } from 'node:events';
import type { Writable } from 'node:stream';
import { finished } from 'node:stream/promises';
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
 * The honest floor on PostgreSQL: `COPY ... FROM STDIN (FORMAT csv)` of the same rows over
 * one connection, the fastest way the database takes rows at all (no parse per row, no
 * plan). PGlite has no streaming COPY FROM STDIN: null there.
 */
export async function copyRows(database: Database, table: PgTable, rows: readonly Record<string, unknown>[]): Promise<boolean> {
  const client = (database.db as unknown as { $client: CopyClient | object }).$client;
  if (!('unsafe' in client)) return false;
  const columns = Object.entries(getTableColumns(table));
  const stream = await client.unsafe(`copy "${getTableName(table)}" (${columns.map(([, c]) => `"${snake(c.name)}"`).join(', ')}) from stdin (format csv)`).writable();
  for (let start = 0; start < rows.length; start += PLAIN_INSERT_ROWS) {
    const chunk = rows.slice(start, start + PLAIN_INSERT_ROWS).map((row) => `${columns.map(([key]) => csv(row[key])).join(',')}\n`).join('');
    if (!stream.write(chunk)) await once(stream, 'drain');
  }
  stream.end();
  await finished(stream);
  return true;
}

/** postgres.js: a COPY statement's writable stream. */
type CopyClient = { unsafe(query: string): { writable(): Promise<Writable> } };

function csv(value: unknown): string {
  const v = toParam(value);
  if (v === null) return '';
  if (typeof v === 'number' || typeof v === 'bigint') return String(v);
  if (typeof v === 'boolean') return v ? 't' : 'f';
  return `"${String(v).replace(/"/g, '""')}"`;
}
