/**
 * Where a slow dashboard endpoint spends its time in PostgreSQL: replay the endpoint's
 * db/queries calls in this process (bench/dashboard-endpoints.ts), record every statement
 * drizzle sends with its parameters and the db/queries line that sent it, then run each
 * one again under EXPLAIN (ANALYZE, BUFFERS) and report its execution time and the plan
 * nodes with the most time of their own (the cost centre).
 *
 * The server's pool sends drizzle's statements unnamed (drizzle asks postgres.js to
 * prepare only named queries), so each gets a custom plan for its parameters, as the
 * EXPLAIN here does.
 */
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { drizzle } from 'drizzle-orm/postgres-js';
import postgres from 'postgres';
import type { Db } from '../db/client';
import { POSTGRES_SESSION_SETTINGS } from '../db/open';
import * as schema from '../db/schema';
import type { Endpoint } from './dashboard-endpoints';

export interface PlanNode {
  what: string;
  /** How many times it ran (a nested loop's inner side, a subplan); 1 for an estimated plan. */
  loops: number;
  /** Time of its own, in ms; for an estimated plan, its own share of the planner's cost units. */
  self: number;
  /** Rows it produced (estimated, for an estimated plan). */
  rows: number;
}

export interface StatementCost {
  /** db/queries file:line (function) that sent it. */
  site: string;
  sql: string;
  params: unknown[];
  /** Null when it did not finish within the time limit: `top` then ranks nodes by estimated cost. */
  executionMs: number | null;
  planningMs: number;
  /** The nodes with the most time of their own (or, unfinished, the most estimated cost of their own), most first. */
  top: PlanNode[];
  plan: unknown;
}

interface Captured {
  site: string;
  sql: string;
  params: unknown[];
}

/** The first frame in db/queries/, e.g. `drops.ts:143 histogram`. */
function callSite(): string {
  const stack = new Error().stack ?? '';
  for (const line of stack.split('\n').slice(2)) {
    const m = /at (?:async )?(?:(\S+) \()?.*?db\/queries\/([\w.-]+\.ts):(\d+)/.exec(line);
    if (m) return `${m[2]}:${m[3]}${m[1] && /^\w+$/.test(m[1]) ? ` ${m[1]}` : ''}`;
  }
  return '?';
}

/**
 * Sites of the statements about to run. A drizzle query runs when `await` calls its
 * `then`, in a microtask whose stack no longer holds the db/queries frame; so the site is
 * taken when the query is built (db.select, tx.execute: synchronous, in the caller's
 * frame) and handed to the logger by the query's own `then`, which runs execute and the
 * logger synchronously.
 */
let pendingSite = '?';

function tagged<T>(query: T, site: string): T {
  const then = (query as { then?: (...a: unknown[]) => unknown }).then;
  if (typeof then === 'function') {
    Object.defineProperty(query, 'then', {
      configurable: true,
      value(this: unknown, ...args: unknown[]) {
        pendingSite = site;
        return then.apply(this, args);
      },
    });
  }
  return query;
}

type Fn = (...args: unknown[]) => unknown;

/** `db` (or a transaction) whose selects and executes remember where they were built. */
function tracked<T extends object>(db: T): T {
  return new Proxy(db, {
    get(target, prop) {
      const value = Reflect.get(target, prop) as unknown;
      if (typeof value !== 'function') return value;
      const fn = value as Fn;
      if (prop === 'select' || prop === 'selectDistinct') {
        return (...args: unknown[]) => {
          const site = callSite();
          const builder = fn.apply(target, args) as { from: Fn };
          return { from: (...fromArgs: unknown[]) => tagged(builder.from(...fromArgs), site) };
        };
      }
      if (prop === 'execute') return (...args: unknown[]) => tagged(fn.apply(target, args), callSite());
      if (prop === 'transaction') return (cb: (tx: object) => unknown, config?: unknown) => fn.call(target, (tx: object) => cb(tracked(tx)), config);
      return fn.bind(target);
    },
  });
}

/**
 * Self time of each node: its total over all loops minus its children's. Without ANALYZE,
 * the same with the planner's total cost (a subplan's cost is per call, so a correlated
 * subquery shows up small there although it runs once per outer row).
 */
function flatten(node: Record<string, unknown>, out: PlanNode[], analyzed: boolean): void {
  const children = (node.Plans as Record<string, unknown>[] | undefined) ?? [];
  const loopsOf = (n: Record<string, unknown>) => (analyzed ? Number(n['Actual Loops'] ?? 1) : 1);
  const totalOf = (n: Record<string, unknown>) => Number(analyzed ? (n['Actual Total Time'] ?? 0) : (n['Total Cost'] ?? 0)) * loopsOf(n);
  const loops = loopsOf(node);
  const total = totalOf(node);
  const childTotal = children.reduce((n, c) => n + totalOf(c), 0);
  const parts = [String(node['Node Type'])];
  if (node['Strategy'] && node['Node Type'] === 'Aggregate') parts[0] = `${String(node['Strategy'])}Aggregate`;
  if (node['Index Name']) parts.push(`using ${String(node['Index Name'])}`);
  if (node['Relation Name']) parts.push(`on ${String(node['Relation Name'])}`);
  if (node['Sort Method']) parts.push(`(${String(node['Sort Method'])}, ${String(node['Sort Space Used'])} kB ${String(node['Sort Space Type'])})`);
  if (node['Rows Removed by Filter']) parts.push(`(${Number(node['Rows Removed by Filter']) * loops} removed by filter)`);
  if (node['Subplan Name']) parts.push(`[${String(node['Subplan Name'])}]`);
  // PostgreSQL reports rows per loop, rounded: a lookup finding one row in three loops shows 0.
  const rows = analyzed ? Number(node['Actual Rows'] ?? 0) * loops : Number(node['Plan Rows'] ?? 0);
  out.push({ what: parts.join(' '), loops, self: Math.max(0, total - childTotal), rows });
  for (const c of children) flatten(c, out, analyzed);
}

/** statement_timeout fired (57014 query_canceled); drizzle may wrap the driver's error. */
function cancelled(err: unknown): boolean {
  const e = err as { code?: string; cause?: { code?: string } };
  return e.code === '57014' || e.cause?.code === '57014';
}

type Explained = { 'QUERY PLAN': Record<string, unknown>[] }[];

/**
 * Replay `endpoint` against `url` at `now` and EXPLAIN ANALYZE every statement it sends.
 * A statement (or the replay) that runs past `limitMs` is cancelled by statement_timeout;
 * the statement is then explained without ANALYZE. Returns the statements, slowest first
 * (unfinished ones first of all). `plansDir`: write each plan as JSON there.
 */
export async function explainEndpoint(
  url: string,
  endpoint: Endpoint,
  now: Date,
  options: { limitMs: number; plansDir?: string; /** Results by statement and parameters, shared between calls: a statement another endpoint sent already is not explained again. */ cache?: Map<string, StatementCost> },
): Promise<StatementCost[]> {
  const client = postgres(url, { max: 1, onnotice: () => {}, connection: { ...POSTGRES_SESSION_SETTINGS, statement_timeout: options.limitMs } });
  try {
    const captured: Captured[] = [];
    const logQuery = (sql: string, params: unknown[]) => {
      captured.push({ site: pendingSite, sql, params });
      pendingSite = '?';
    };
    const db = tracked(drizzle(client, { schema, casing: 'snake_case', logger: { logQuery } })) as unknown as Db;
    // A cancelled statement ends the replay: the statements after it are not captured.
    await endpoint.run(db, now).catch((err: unknown) => {
      if (!cancelled(err)) throw err;
    });

    const out: StatementCost[] = [];
    // `set local ...` of a transaction (analyzeScope's work_mem): explained again for the
    // statements after it from the same module, until the next transaction begins, so that
    // their plans are the ones the endpoint got. (The log shows no commit: the module is
    // what tells the transaction's statements from the ones sent after it.)
    let settings: { module: string; sql: string }[] = [];
    const moduleOf = (site: string) => site.split(':')[0]!;
    for (const [i, c] of captured.entries()) {
      if (/^\s*set transaction/i.test(c.sql)) {
        settings = [];
        continue;
      }
      if (/^\s*set local\b/i.test(c.sql)) {
        settings.push({ module: moduleOf(c.site), sql: c.sql });
        continue;
      }
      const local = settings.filter((x) => x.module === moduleOf(c.site)).map((x) => x.sql);
      const key = `${c.site}\n${local.join('\n')}\n${c.sql}\n${JSON.stringify(c.params)}`;
      const known = options.cache?.get(key);
      if (known) {
        out.push(known);
        continue;
      }
      const explain = async (query: string): Promise<Explained> =>
        local.length === 0
          ? client.unsafe<Explained>(query, c.params as never[])
          : ((await client.begin(async (tx) => {
              for (const setting of local) await tx.unsafe(setting);
              return tx.unsafe<Explained>(query, c.params as never[]);
            })) as unknown as Explained);
      let analyzed = true;
      const rows = await explain(`explain (analyze, buffers, format json) ${c.sql}`).catch(async (err: unknown) => {
        if (!cancelled(err)) throw err;
        analyzed = false;
        return explain(`explain (format json) ${c.sql}`);
      });
      const result = rows[0]?.['QUERY PLAN']?.[0];
      if (!result) {
        // Not a plannable statement (EXPLAIN answered nothing): say so rather than stop.
        process.stderr.write(`EXPLAIN gave no plan for ${c.site}: ${c.sql.slice(0, 120).replace(/\s+/g, ' ')}\n`);
        continue;
      }
      const nodes: PlanNode[] = [];
      flatten(result.Plan as Record<string, unknown>, nodes, analyzed);
      nodes.sort((a, b) => b.self - a.self);
      const cost = { ...c, executionMs: analyzed ? Number(result['Execution Time']) : null, planningMs: Number(result['Planning Time'] ?? 0), top: nodes.slice(0, 3), plan: result };
      options.cache?.set(key, cost);
      out.push(cost);
      if (options.plansDir) {
        const name = `${endpoint.url.replace(/[^A-Za-z0-9]+/g, '_').replace(/^_|_$/g, '') || 'root'}-${String(i).padStart(2, '0')}.json`;
        writeFileSync(path.join(options.plansDir, name), JSON.stringify({ site: c.site, sql: c.sql, params: c.params, plan: result }, null, 2));
      }
    }
    const key = (c: StatementCost) => c.executionMs ?? Number.MAX_VALUE;
    return out.sort((a, b) => key(b) - key(a));
  } finally {
    await client.end({ timeout: 5 });
  }
}
