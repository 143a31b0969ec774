/**
 * Two real servers (the built dist/server.mjs) on one fresh PostgreSQL database, started at
 * the same moment on it while it is empty: a batch ingested through server A reaches the
 * browsers of server B (socket.io through @socket.io/postgres-adapter), large pushes too
 * (through the adapter's attachments table); a live page open on B updates; twenty viewers
 * on B asking for one watermark cost one computation; losing the relay's PostgreSQL
 * connections does not end a server, and the relay comes back; both stop cleanly.
 *
 * Needs a build (`npm run build`), TEST_DATABASE_URL (the database named there is only used
 * to create and drop this file's own) and, for the page, Chromium at /usr/bin/chromium.
 */
import { randomBytes } from 'node:crypto';
import postgres from 'postgres';
import { io as connect, type Socket } from 'socket.io-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { IngestEvent } from '../../lib/contracts/ingest';
import { LIVE_EVENT, LIVE_WATERMARK_EVENT, type LivePush, type LiveWatermark } from '../../lib/realtime/feed';
import { livePushSchema } from '../../lib/realtime/feed-schema';
import { launchBrowser, signInContext, waitForChromium, watchPage } from '../helpers/browser';
import { ended, opened, path as canaryPath } from '../helpers/events';
import { addProbeToken, adminHeaders, createApiToken, runCli, startServer, TEST_SECRET_KEY, type RunningServer } from '../helpers/server';
import { expectedSignature, RECEIVER_ALLOW, startWebhookReceiver, type WebhookReceiver } from '../helpers/webhook-receiver';

const ADMIN_URL = process.env.TEST_DATABASE_URL;
const MIN = 60_000;

describe.skipIf(!ADMIN_URL)('several servers on one PostgreSQL', { timeout: 90_000 }, () => {
  const name = `dropscope_t_${randomBytes(6).toString('hex')}`;
  let admin: postgres.Sql;
  let url: string;
  let a: RunningServer | undefined;
  let b: RunningServer | undefined;
  let token: string;
  /** Prometheus's API token, made through A: in the one database, so B knows it too. */
  let scraper: string;
  let receiver: WebhookReceiver;
  const sockets: Socket[] = [];

  beforeAll(async () => {
    admin = postgres(ADMIN_URL!, { max: 1, onnotice: () => {} });
    await admin.unsafe(`create database ${name}`);
    const u = new URL(ADMIN_URL!);
    u.pathname = `/${name}`;
    url = u.toString();
    // At the same moment, on the empty database: they migrate in turn and create the
    // adapter's table in turn, and both come up.
    // The same DROPSCOPE_SECRET_KEY on both: webhook secrets one seals, the other must open.
    const env = { DATABASE_URL: url, DROPSCOPE_SECRET_KEY: TEST_SECRET_KEY, DROPSCOPE_OUTBOUND_ALLOW: RECEIVER_ALLOW };
    receiver = await startWebhookReceiver();
    // A polls its outbox rarely: B's "send test" is delivered by B.
    // allSettled: when one fails to start, the other is still kept for afterAll to stop
    // (Promise.all assigned neither, and the one that started outlived the test).
    const started = await Promise.allSettled([startServer({ env: { ...env, DROPSCOPE_WEBHOOK_POLL_MS: '60000' } }), startServer({ env })]);
    [a, b] = started.map((r) => (r.status === 'fulfilled' ? r.value : undefined));
    for (const r of started) if (r.status === 'rejected') throw r.reason;
    // On PostgreSQL the CLI writes the probe to the database itself: every server knows it.
    token = addProbeToken('edge-multi-1', { DATABASE_URL: url });
    scraper = await createApiToken(a!, 'viewer', 'prometheus');
  }, 120_000);

  afterAll(async () => {
    for (const s of sockets) s.disconnect();
    await a?.dispose();
    await b?.dispose();
    await receiver?.close();
    await admin?.unsafe(`drop database if exists ${name} with (force)`);
    await admin?.end({ timeout: 5 });
  });

  /** A socket.io client on `server`, resolved with the watermark its server names once it is connected. */
  async function subscribe(server: RunningServer): Promise<{ socket: Socket; hello: LiveWatermark }> {
    const socket = connect(server.url, { transports: ['websocket'], reconnection: false, extraHeaders: await adminHeaders(server) });
    sockets.push(socket);
    const hello = await new Promise<LiveWatermark>((resolve, reject) => {
      socket.once(LIVE_WATERMARK_EVENT, resolve);
      socket.once('connect_error', reject);
    });
    return { socket, hello };
  }

  const nextPush = (socket: Socket) => new Promise<LivePush>((resolve) => socket.once(LIVE_EVENT, resolve));

  async function ingest(server: RunningServer, events: IngestEvent[]): Promise<void> {
    const res = await fetch(`${server.url}/api/v1/ingest`, {
      method: 'POST',
      headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
      body: JSON.stringify({ events }),
    });
    expect(res.status, await res.clone().text()).toBe(200);
  }

  const session = (id: string, at = new Date(Date.now() - MIN)) => [opened(id, {}, at), ended(id, 20_000, {}, at)];

  it('both started on the empty database, migrated once, and made the relay table', async () => {
    const scratch = postgres(url, { max: 1, onnotice: () => {} });
    try {
      const [t] = await scratch<{ n: number }[]>`select count(*)::int as n from pg_tables where tablename = 'socket_io_attachments'`;
      expect(t!.n).toBe(1);
      const listening = await scratch<{ n: number }[]>`select count(*)::int as n from pg_stat_activity where datname = current_database() and application_name = 'dropscope-live'`;
      // Each server's relay holds its LISTEN connection.
      expect(listening[0]!.n).toBeGreaterThanOrEqual(2);
    } finally {
      await scratch.end({ timeout: 5 });
    }
    expect(a!.output()).toContain('dropscope listening');
    expect(b!.output()).toContain('dropscope listening');
  });

  it('pushes a batch ingested through A to a socket.io client on B, with the same watermark as on A', async () => {
    const onA = await subscribe(a!);
    const onB = await subscribe(b!);
    const pushedA = nextPush(onA.socket);
    const pushedB = nextPush(onB.socket);
    await ingest(a!, session('s-multi-0001'));
    const [pa, pb] = await Promise.all([pushedA, pushedB]);
    expect(livePushSchema.parse(pb)).toEqual(pa);
    expect(pb.items.map((i) => [i.type, i.sessionId, i.probe])).toEqual([
      ['session.opened', 's-multi-0001', 'edge-multi-1'],
      ['session.ended', 's-multi-0001', 'edge-multi-1'],
    ]);
    // A browser connecting to B now is told that watermark, whichever server pushed it.
    expect((await subscribe(b!)).hello.watermark).toBe(pb.watermark);
  });

  it('answers every report read through B as through A, after a batch ingested through A', async () => {
    const at = new Date(Date.now() - 10 * MIN);
    await ingest(a!, [...session('s-multi-same-1', at), ...session('s-multi-same-2', new Date(at.getTime() + 1000))]);
    const window = `from=${encodeURIComponent(new Date(at.getTime() - 60 * MIN).toISOString())}&to=${encodeURIComponent(new Date(Date.now() + MIN).toISOString())}`;
    // Fields that name the instant the answer was made (its own clock), not what it says.
    const withoutClock = (v: unknown): unknown =>
      Array.isArray(v) ? v.map(withoutClock) : v && typeof v === 'object' ? Object.fromEntries(Object.entries(v).filter(([k]) => !['generatedAt', 'now', 'silentForMs'].includes(k)).map(([k, x]) => [k, withoutClock(x)])) : v;
    for (const report of [`/api/v1/drops?${window}`, `/api/v1/analysis?${window}`, `/api/v1/paths?${window}`, `/api/v1/handshakes?${window}`, '/api/v1/sessions?limit=100', '/api/v1/probes']) {
      const [fromA, fromB] = await Promise.all([a!, b!].map(async (server) => {
        const res = await server.api(report);
        expect(res.status, report).toBe(200);
        return withoutClock(await res.json());
      }));
      expect(fromB, report).toEqual(fromA);
      expect(JSON.stringify(fromB), report).not.toBe('{}');
    }
    // Not vacuous: B sees A's batch.
    const sessions = (await (await b!.api('/api/v1/sessions?limit=100')).json()) as { sessions: { id: string }[] };
    expect(sessions.sessions.map((x) => x.id)).toContain('s-multi-same-2');
  });

  it('relays a push larger than NOTIFY takes (8000 bytes) through the attachments table', async () => {
    const onB = await subscribe(b!);
    const pushed = nextPush(onB.socket);
    const events = Array.from({ length: 40 }, (_, i) => session(`s-multi-big-${String(i).padStart(3, '0')}`)).flat();
    await ingest(a!, events);
    const push = await pushed;
    expect(JSON.stringify(push).length).toBeGreaterThan(8000);
    expect(push.items).toHaveLength(80);
    expect(push.counts).toEqual({ 'session.opened': 40, 'session.ended': 40 });
  });

  it('twenty viewers on B asking for one watermark cost one computation', async () => {
    const viewers = await Promise.all(Array.from({ length: 20 }, () => subscribe(b!)));
    const before = await answers(b!, scraper, 'paths');
    const pushes = viewers.map((v) => nextPush(v.socket));
    await ingest(a!, session('s-multi-0002'));
    const marks = new Set((await Promise.all(pushes)).map((p) => p.watermark));
    expect(marks.size).toBe(1);
    const [w] = [...marks];
    // What each page does on a push; a 7-day view keeps its answer 30 s, so none expires meanwhile.
    const bodies = await Promise.all(viewers.map(() => b!.api(`/api/v1/paths?range=7d&w=${encodeURIComponent(w!)}`).then((r) => r.text())));
    expect(new Set(bodies).size).toBe(1);
    expect(bodies[0]).toContain('"attempts"');
    const after = await answers(b!, scraper, 'paths');
    expect(after.computed - before.computed).toBe(1);
    expect(after.memo + after.joined - before.memo - before.joined).toBe(19);
  });

  it('a live page open on B updates when a batch is ingested through A', async () => {
    await waitForChromium();
    const browser = await launchBrowser();
    try {
      await signInContext(browser.context, b!);
      const page = await browser.context.newPage();
      const errors = watchPage(page);
      const asked: string[] = [];
      page.on('request', (r) => {
        const u = new URL(r.url());
        if (u.pathname === '/api/v1/paths') asked.push(u.search);
      });
      await page.goto(`${b!.url}/paths?range=1h`);
      await page.waitForSelector('[data-testid="paths"][data-socket="live"]');
      const cells = Number(await page.getAttribute('[data-testid="paths"]', 'data-cells'));
      const squid = canaryPath({ proxy: 'corp-squid-multi', kind: 'http' });
      const at = new Date(Date.now() - MIN);
      await ingest(a!, [opened('s-multi-page1', { path: squid }, at), ended('s-multi-page1', 60_000, { path: squid }, at)]);
      await page.waitForSelector(`[data-testid="paths"][data-cells="${cells + 1}"]`);
      await page.waitForSelector('[data-testid="path-cell"][data-proxy="corp-squid-multi"]');
      // The refetch after the push named its watermark.
      expect(asked.some((q) => /^\?range=1h&w=[0-9a-f]{12}%3A\d+$/.test(q))).toBe(true);
      expect(errors).toEqual([]);
    } finally {
      await browser.close();
    }
  });

  it('probe commands on PostgreSQL reach every server: a probe revoked by the CLI is refused by both', async () => {
    const other = addProbeToken('edge-multi-revoked', { DATABASE_URL: url });
    const post = (server: RunningServer) =>
      fetch(`${server.url}/api/v1/ingest`, { method: 'POST', headers: { authorization: `Bearer ${other}`, 'content-type': 'application/json' }, body: JSON.stringify({ events: [opened(`s-rev-${randomBytes(4).toString('hex')}`)] }) });
    expect((await post(a!)).status).toBe(200);
    expect((await post(b!)).status).toBe(200);
    expect(runCli(['probe', 'revoke', 'edge-multi-revoked'], { DATABASE_URL: url }).status).toBe(0);
    expect((await post(a!)).status).toBe(401);
    expect((await post(b!)).status).toBe(401);
  });

  it('signs on B a webhook created through A: one DROPSCOPE_SECRET_KEY for every server', async () => {
    const created = await a!.api('/api/v1/webhooks', { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ name: 'multi', url: `${receiver.url}/multi` }) });
    expect(created.status).toBe(201);
    const hook = (await created.json()) as { id: number; secret: string };
    const res = await b!.api(`/api/v1/webhooks/${hook.id}/test`, { method: 'POST' });
    expect(res.status, await res.clone().text()).toBe(202);
    const { messageId } = (await res.json()) as { messageId: string };
    const got = receiver.received.find((r) => r.id === messageId)!;
    expect(got.signature).toBe(expectedSignature(hook.secret, got.id, got.timestamp, got.body));
  });

  it('survives losing its relay connections to PostgreSQL, and relays again once they are back', async () => {
    const scratch = postgres(url, { max: 1, onnotice: () => {} });
    try {
      const killed = await scratch<{ ok: boolean }[]>`select pg_terminate_backend(pid) as ok from pg_stat_activity where datname = current_database() and application_name = 'dropscope-live'`;
      expect(killed.length).toBeGreaterThanOrEqual(2);
    } finally {
      await scratch.end({ timeout: 5 });
    }
    const onB = await subscribe(b!);
    // The relay reconnects after ~2 s (the adapter's backoff); until then pushes from A do
    // not reach B. Ingest until one does, each batch a new session.
    let received = false;
    onB.socket.on(LIVE_EVENT, () => (received = true));
    // For up to 30 s (the backoff is the adapter's; a loaded machine adds to it).
    const deadline = Date.now() + 30_000;
    for (let i = 0; !received && Date.now() < deadline; i++) {
      await ingest(a!, session(`s-multi-back-${i}`));
      await new Promise((r) => setTimeout(r, 250));
    }
    expect(received).toBe(true);
    // Neither process ended: both still answer.
    expect((await a!.api('/api/v1/probes')).status).toBe(200);
    expect((await b!.api('/api/v1/probes')).status).toBe(200);
    expect(a!.output()).toContain('the live relay lost its PostgreSQL connection');
  });

  it('stops cleanly: exit code 0, and no relay connection left on the database', async () => {
    for (const s of sockets.splice(0)) s.disconnect();
    expect(await a!.stop()).toBe(0);
    expect(await b!.stop()).toBe(0);
    const scratch = postgres(url, { max: 1, onnotice: () => {} });
    try {
      // A backend leaves pg_stat_activity once it has processed its client's goodbye, in its
      // own time after the client process exited: polled, briefly.
      const left = async () => (await scratch<{ n: number }[]>`select count(*)::int as n from pg_stat_activity where datname = current_database() and application_name = 'dropscope-live'`)[0]!.n;
      const deadline = Date.now() + 10_000;
      while ((await left()) !== 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));
      expect(await left()).toBe(0);
    } finally {
      await scratch.end({ timeout: 5 });
    }
  });
});

/** dropscope_live_answers_total of one report on `server`, by source. */
async function answers(server: RunningServer, token: string, report: string): Promise<{ computed: number; memo: number; joined: number }> {
  const text = await (await fetch(`${server.url}/metrics`, { headers: { authorization: `Bearer ${token}` } })).text();
  const of = (source: string) => Number(new RegExp(`^dropscope_live_answers_total\\{report="${report}",source="${source}"\\} (\\d+)`, 'm').exec(text)?.[1] ?? 0);
  return { computed: of('computed'), memo: of('memo'), joined: of('joined') };
}
