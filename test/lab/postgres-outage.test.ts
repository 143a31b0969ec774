/**
 * Ingest through a PostgreSQL outage. The test runs a PostgreSQL cluster of its own (initdb
 * in a temp dir, its own port; never the machine's shared server), stops it under a running
 * server and starts it again: while it is down, ingest answers 503 with Retry-After within
 * 2 s and keeps nothing; after it is back, the server ingests again within 5 s, and a probe
 * replaying what was refused loses nothing and duplicates nothing. Wall-clock bounds, hence
 * the lab suite. The dashboard is read as the signed-in test admin, and /metrics with a viewer
 * token, both verified before the outage (the gate keeps serving credentials it verified,
 * server/auth/last-known.ts); /metrics also on DROPSCOPE_METRICS_LISTEN, which needs none.
 */
import { execFileSync } from 'node:child_process';
import { chmodSync, mkdtempSync, rmSync } from 'node:fs';
import { readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import postgres from 'postgres';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { WebSocket } from 'ws';
import { openDatabase } from '../../db/open';
import { addProbe } from '../../db/queries/probes';
import { ended, opened } from '../helpers/events';
import { createApiToken, startServer, type RunningServer } from '../helpers/server';
import { freePort } from './daemon';

const PG_BIN = `/usr/lib/postgresql/${readdirSync('/usr/lib/postgresql').sort().at(-1)}/bin`;
/** initdb and postgres refuse root: the cluster belongs to the postgres user. */
const asPostgres = (cmd: string, args: string[]) => execFileSync('runuser', ['-u', 'postgres', '--', path.join(PG_BIN, cmd), ...args], { stdio: 'pipe', timeout: 60_000 });

let dir: string;
let port: number;
let url: string;
let server: RunningServer | undefined;
let token: string;
/** The test admin's session cookie, signed in while the database is up. */
let cookie: string;
/** DROPSCOPE_METRICS_LISTEN's port. */
let metricsPort: number;
/** A viewer API token Prometheus would scrape the main port with. */
let scrapeToken: string;

const pgCtl = (action: 'start' | 'stop') =>
  asPostgres('pg_ctl', ['-D', path.join(dir, 'data'), '-w', '-t', '30', '-l', path.join(dir, 'log'), ...(action === 'start' ? ['-o', `-p ${port} -k ${dir} -c listen_addresses=127.0.0.1`, 'start'] : ['-m', 'fast', 'stop'])]);

beforeAll(async () => {
  dir = mkdtempSync(path.join(tmpdir(), 'dropscope-pg-'));
  chmodSync(dir, 0o777);
  port = await freePort();
  asPostgres('initdb', ['-D', path.join(dir, 'data'), '-U', 'postgres', '--auth=trust', '-E', 'UTF8', '--no-sync']);
  pgCtl('start');
  url = `postgres://postgres@127.0.0.1:${port}/postgres`;
  const database = await openDatabase({ kind: 'postgres', url, poolSize: 2 });
  token = (await addProbe(database.db, { name: 'edge-outage', labels: {} })).token;
  await database.close();
  metricsPort = await freePort();
  server = await startServer({ env: { DATABASE_URL: url, DROPSCOPE_METRICS_LISTEN: `127.0.0.1:${metricsPort}` } });
  cookie = await server.adminCookie();
  scrapeToken = await createApiToken(server, 'viewer', 'prometheus');
  expect((await fetch(`${server.url}/metrics`, { headers: { authorization: `Bearer ${scrapeToken}` } })).status).toBe(200);
}, 120_000);

afterAll(async () => {
  await server?.stop();
  try {
    pgCtl('stop');
  } catch {
    // Already stopped by a failed test.
  }
  rmSync(dir, { recursive: true, force: true });
});

/** A probe's batch for one session: the same event ids every time it is resent. */
const batchOf = (sessionId: string) => JSON.stringify({ events: [opened(sessionId), ended(sessionId, 5000)] });

async function post(batch: string): Promise<{ status: number; retryAfter: string | null; body: { accepted?: number; duplicates?: number } }> {
  const res = await fetch(`${server!.url}/api/v1/ingest`, {
    method: 'POST',
    headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
    body: batch,
    signal: AbortSignal.timeout(15_000),
  });
  return { status: res.status, retryAfter: res.headers.get('retry-after'), body: await res.json() };
}

describe('ingest through a PostgreSQL outage', () => {
  it('503 with Retry-After within 2 s while down, serving within 5 s after, 0 lost and 0 duplicated', async () => {
    expect((await post(batchOf('s-before001'))).status).toBe(200);
    const during = batchOf('s-during01');

    pgCtl('stop');
    const t0 = performance.now();
    const down = await post(during);
    const answeredMs = performance.now() - t0;
    console.log(`LAB | postgres outage: answered ${down.status} in ${answeredMs.toFixed(0)} ms, Retry-After ${down.retryAfter}`);
    expect(down.status).toBe(503);
    expect(down.retryAfter).toBe('5');
    expect(answeredMs).toBeLessThan(2000);
    // The dashboard's API says so too, rather than a 500.
    const report = await fetch(`${server!.url}/api/v1/drops?range=1h`, { headers: { cookie }, signal: AbortSignal.timeout(5000) });
    expect(report.status).toBe(503);
    expect(report.headers.get('retry-after')).toBe('5');
    // /metrics still answers, and says its database gauges are stale.
    const scrape = await fetch(`http://127.0.0.1:${metricsPort}/metrics`, { signal: AbortSignal.timeout(5000) });
    expect(scrape.status).toBe(200);
    expect(await scrape.text()).toMatch(/^dropscope_database_up 0$/m);
    const withToken = await fetch(`${server!.url}/metrics`, { headers: { authorization: `Bearer ${scrapeToken}` }, signal: AbortSignal.timeout(5000) });
    expect(withToken.status).toBe(200);
    expect(await withToken.text()).toMatch(/^dropscope_database_up 0$/m);
    // A page shows the banner that says so, not an error page, within the connect timeout.
    const p0 = performance.now();
    const page = await fetch(`${server!.url}/drops?range=1h`, { headers: { cookie }, signal: AbortSignal.timeout(5000) });
    const pageMs = performance.now() - p0;
    console.log(`LAB | postgres outage: /drops answered ${page.status} in ${pageMs.toFixed(0)} ms`);
    expect(page.status).toBe(200);
    expect(await page.text()).toContain('data-testid="database-unavailable"');
    expect(pageMs).toBeLessThan(2000);

    // A canary to the server's own target ends while the database is down: its view of the
    // end must not be lost.
    const viewed = 'view-during-outage-1';
    const ws = new WebSocket(`${server!.url.replace('http', 'ws')}/canary`, { headers: { 'x-dropscope-session': viewed } });
    await new Promise<void>((resolve, reject) => ws.once('open', () => resolve()).once('error', reject));
    ws.close(1000, 'done');
    await new Promise((resolve) => ws.once('close', resolve));

    pgCtl('start');
    const back = performance.now();
    let served: Awaited<ReturnType<typeof post>> | null = null;
    // Bounded: the probe's replay of what was refused, every 250 ms, for at most 10 s.
    for (let i = 0; i < 40 && !served; i++) {
      const r = await post(during);
      if (r.status === 200) served = r;
      else await new Promise((resolve) => setTimeout(resolve, 250));
    }
    const servingMs = performance.now() - back;
    console.log(`LAB | postgres outage: serving again ${servingMs.toFixed(0)} ms after the database was back`);
    expect(served?.body).toEqual({ accepted: 2, duplicates: 0 });
    expect(servingMs).toBeLessThan(5000);
    // The probe resends once more (its answer was lost, say): nothing is applied twice.
    expect((await post(during)).body).toEqual({ accepted: 0, duplicates: 2 });
    expect(await (await fetch(`http://127.0.0.1:${metricsPort}/metrics`)).text()).toMatch(/^dropscope_database_up 1$/m);

    const check = postgres(url, { max: 1, onnotice: () => {} });
    const rows = await check`select id from canary_sessions order by id`;
    expect(rows.map((r) => r.id)).toEqual(['s-before001', 's-during01']);
    // The target's view, spooled during the outage, reaches the database once it is back (bounded wait).
    let views: { session_id: string; close_code: number | null }[] = [];
    for (let i = 0; i < 50 && views.length === 0; i++) {
      views = await check`select session_id, close_code from target_session_views where session_id = ${viewed}`;
      if (views.length === 0) await new Promise((resolve) => setTimeout(resolve, 200));
    }
    await check.end({ timeout: 5 });
    expect(views).toEqual([{ session_id: viewed, close_code: 1000 }]);
  }, 60_000);
});
