/**
 * The ingest API's contract, exercised through the real handler and real storage on every
 * backend: each bad-input class answers the right status, names the field, stores nothing.
 */
import { connect } from 'node:net';
import { gzipSync } from 'node:zlib';
import { count, eq } from 'drizzle-orm';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { ingestDeps } from '../../app/api/v1/ingest/deps';
import type { Database } from '../../db/client';
import { storeBatch, storeTargetViews } from '../../db/queries/ingest';
import { addProbe, authenticateProbe, revokeProbe } from '../../db/queries/probes';
import { getSession } from '../../db/queries/sessions';
import { canarySessions, ingestedEvents, probes, rttMinutes, targetSessionViews } from '../../db/schema';
import type { IngestEvent, SessionOpened } from '../../lib/contracts/ingest';
import { handleIngest } from '../../lib/ingest/handle-ingest';
import { IngestRateLimiter } from '../../lib/ingest/rate-limit';
import { createLogger } from '../../lib/log';
import type { FeedItem } from '../../lib/realtime/feed';
import { backends, openScratchPostgres } from '../helpers/databases';
import { ended, failed, heartbeat, iso, opened, path, rtt, T0, targetView } from '../helpers/events';
import { addProbeToken, runCli, startServer, type RunningServer } from '../helpers/server';

const LIMIT = 64 * 1024;
const silent = createLogger({ level: 'silent' });
/** The server's clock in these tests: a day after the events' instants (test/helpers/events.ts). */
const NOW = new Date(T0.getTime() + 86_400_000);

describe.each(backends())('ingest API on $name', (backend) => {
  let database: Database;
  let token: string;
  let probeId: number;
  let published: FeedItem[];
  let seq = 0;

  beforeAll(async () => {
    database = await backend.open();
  });
  afterAll(async () => {
    await database.close();
  });
  beforeEach(async () => {
    await database.db.delete(probes);
    await database.db.delete(targetSessionViews);
    const added = await addProbe(database.db, { name: `probe-${++seq}`, labels: { region: 'eu' } });
    token = added.token;
    probeId = added.probe.id;
    published = [];
  });

  type PostInit = { token?: string | null; headers?: Record<string, string>; rateLimiter?: IngestRateLimiter; now?: () => Date; store?: Parameters<typeof handleIngest>[1]['store'] };
  async function post(body: string | Buffer | object, init: PostInit = {}) {
    const headers: Record<string, string> = { 'content-type': 'application/json', ...init.headers };
    const t = init.token === undefined ? token : init.token;
    if (t !== null) headers.authorization = `Bearer ${t}`;
    const payload = typeof body === 'string' ? body : Buffer.isBuffer(body) ? new Uint8Array(body) : JSON.stringify(body);
    const request = new Request('http://127.0.0.1/api/v1/ingest', { method: 'POST', headers, body: payload });
    const deps = ingestDeps(database.db, { publisher: { publish: (items) => published.push(...items) }, maxBodyBytes: LIMIT, log: silent, now: init.now ?? (() => NOW), rateLimiter: init.rateLimiter });
    const response = await handleIngest(request, init.store ? { ...deps, store: init.store } : deps);
    return { status: response.status, body: (await response.json()) as any, headers: response.headers };
  }
  const paths = (res: { body: any }) => (res.body.error?.issues ?? []).map((i: { path: string }) => i.path);
  const views = () => database.db.select().from(targetSessionViews).orderBy(targetSessionViews.sessionId);
  async function ledgerOf(id: number) {
    const [row] = await database.db.select({ n: count() }).from(ingestedEvents).where(eq(ingestedEvents.probeId, id));
    return row!.n;
  }

  async function stored() {
    const [s] = await database.db.select({ n: count() }).from(canarySessions);
    const [e] = await database.db.select({ n: count() }).from(ingestedEvents);
    const [r] = await database.db.select({ n: count() }).from(rttMinutes);
    return { sessions: s!.n, events: e!.n, rttMinutes: r!.n };
  }
  const nothing = { sessions: 0, events: 0, rttMinutes: 0 };

  it('stores a valid batch, merging the open and end of one session into one row', async () => {
    const events = [opened('s-aaaaaaaa', { responseHeaders: { server: 'nginx/1.24' } }), ended('s-aaaaaaaa', 60_012.5, { rtt: { count: 2, minMs: 10, medianMs: 11, maxMs: 12 } }), rtt('s-aaaaaaaa', [10, 12]), heartbeat({ spoolDepth: 7 })];
    const res = await post({ events });
    expect(res.status).toBe(200);
    expect(res.body).toEqual({ accepted: 4, duplicates: 0 });
    const s = await getSession(database.db, 's-aaaaaaaa');
    expect(s).toMatchObject({
      outcome: 'opened', httpStatus: 101, durationMs: 60_012.5, endKind: 'tcp_fin', closeCode: 1006,
      responseHeaders: { server: 'nginx/1.24' }, rttCount: 2, rttMedianMs: 11, live: false, dnsMs: 0.5,
    });
    const [p] = await database.db.select().from(probes);
    expect(p).toMatchObject({ agentVersion: '0.1.0-test', spoolDepth: 7 });
    expect(p!.lastSeenAt).toBeInstanceOf(Date);
    expect(published.map((i) => i.type)).toEqual(['session.opened', 'session.ended', 'rtt.samples', 'probe.heartbeat']);
  });

  it('shows an opened session as live at once', async () => {
    await post({ events: [opened('s-live0001')] });
    expect(await getSession(database.db, 's-live0001')).toMatchObject({ live: true, endedAt: null });
  });

  it('completes a session whose end arrived before its open (spool replay order)', async () => {
    const end = ended('s-late0001', 99_950, { endKind: 'close_frame', closeCode: 1001, closeReason: 'going away' });
    expect((await post({ events: [end] })).status).toBe(200);
    expect(await getSession(database.db, 's-late0001')).toMatchObject({ outcome: null, durationMs: 99_950, live: false });
    expect((await post({ events: [opened('s-late0001')] })).status).toBe(200);
    expect(await getSession(database.db, 's-late0001')).toMatchObject({
      outcome: 'opened', httpStatus: 101, durationMs: 99_950, closeCode: 1001, closeReason: 'going away', live: false,
    });
  });

  it('stores refused and failed attempts with their status, reply or error code', async () => {
    const res = await post({
      events: [
        failed('s-refuse01', { httpStatus: 403, responseHeaders: { server: 'tinyproxy/1.11' } }),
        failed('s-proxy001', { outcome: 'proxy_refused', httpStatus: undefined, proxyReply: 'Socks5 proxy rejected connection - NotAllowed', path: path({ proxy: 'socks', kind: 'socks5' }) }),
        failed('s-dial0001', { outcome: 'dial_failed', httpStatus: undefined, errorCode: 'ECONNREFUSED', errorMessage: 'connect ECONNREFUSED 127.0.0.1:9' }),
      ],
    });
    expect(res.status).toBe(200);
    expect(await getSession(database.db, 's-refuse01')).toMatchObject({ outcome: 'upgrade_refused', httpStatus: 403 });
    expect(await getSession(database.db, 's-proxy001')).toMatchObject({ outcome: 'proxy_refused', proxyKind: 'socks5', proxyUrl: 'http://127.0.0.1:3128', proxyReply: expect.stringContaining('NotAllowed') });
    expect(await getSession(database.db, 's-dial0001')).toMatchObject({ outcome: 'dial_failed', errorCode: 'ECONNREFUSED' });
  });

  describe('replays', () => {
    it('accepts the same batch twice and stores it once', async () => {
      const events = [opened('s-dup00001'), ended('s-dup00001', 1000), rtt('s-dup00001', [5, 6, 7])];
      expect((await post({ events })).body).toEqual({ accepted: 3, duplicates: 0 });
      const before = await stored();
      published = [];
      expect((await post({ events })).body).toEqual({ accepted: 0, duplicates: 3 });
      expect(await stored()).toEqual(before);
      const [row] = await database.db.select().from(rttMinutes);
      expect(row!.count).toBe(3);
      expect(published).toEqual([]);
    });

    it('applies only the new part of overlapping batches', async () => {
      const a = opened('s-ovl00001');
      const b = rtt('s-ovl00001', [10]);
      const c = rtt('s-ovl00001', [20]);
      expect((await post({ events: [a, b] })).body).toEqual({ accepted: 2, duplicates: 0 });
      expect((await post({ events: [b, c] })).body).toEqual({ accepted: 1, duplicates: 1 });
      const [row] = await database.db.select().from(rttMinutes);
      expect(row).toMatchObject({ count: 2, sumMs: 30, minMs: 10, maxMs: 20 });
    });

    it('counts an id repeated inside one batch once', async () => {
      const e = opened('s-inb00001');
      expect((await post({ events: [e, e] })).body).toEqual({ accepted: 1, duplicates: 1 });
    });
  });

  it('rolls RTT samples up per path and minute, with buckets for percentiles', async () => {
    await post({ events: [rtt('s-rtt00001', [1, 2, 3]), rtt('s-rtt00001', [100], { path: path({ proxy: 'squid', kind: 'http' }) })] });
    await post({ events: [rtt('s-rtt00001', [4])] });
    const rows = await database.db.select().from(rttMinutes).orderBy(rttMinutes.proxyName);
    expect(rows.map((r) => [r.proxyName, r.count, r.sumMs, r.minMs, r.maxMs, r.buckets.reduce((a, b) => a + b, 0)])).toEqual([
      ['direct', 4, 10, 1, 4, 4],
      ['squid', 1, 100, 100, 100, 1],
    ]);
  });

  describe('a probe writes only its own sessions', () => {
    it('409 for a session another probe holds, naming the event; nothing of the batch is stored', async () => {
      await post({ events: [opened('s-own00001'), ended('s-own00001', 5000)] });
      const other = await addProbe(database.db, { name: `other-${seq}`, labels: {} });
      const overwrite = ended('s-own00001', 1, { endKind: 'tcp_reset' });
      const res = await post({ events: [opened('s-mine0001'), overwrite, heartbeat()] }, { token: other.token });
      expect(res.status).toBe(409);
      expect(res.body.error.code).toBe('INGEST_ERR_CONFLICT');
      expect(res.body.error.issues).toEqual([{ path: 'events.1.sessionId', message: expect.stringMatching(new RegExp(`^event ${overwrite.id}: session s-own00001 .*belongs to another probe`)) }]);
      expect(await getSession(database.db, 's-own00001')).toMatchObject({ durationMs: 5000, endKind: 'tcp_fin' });
      expect(await getSession(database.db, 's-mine0001')).toBeNull();
      expect(await ledgerOf(other.probe.id)).toBe(0);
      const [p] = await database.db.select().from(probes).where(eq(probes.id, other.probe.id));
      expect(p).toMatchObject({ lastSeenAt: null, agentVersion: null });
      // Without the refused event (what the reporter resends after dead-lettering it): stored.
      expect((await post({ events: [opened('s-mine0001'), heartbeat()] }, { token: other.token })).status).toBe(200);
    });

    it('409 for a view of a session another probe holds: the target\'s own view stays', async () => {
      await post({ events: [opened('s-view0001'), ended('s-view0001', 5000)] });
      const { type: _t, id: _i, ...view } = targetView('s-view0001', 5000);
      await storeTargetViews(database.db, null, [view]);
      const before = await views();
      const other = await addProbe(database.db, { name: `other-${seq}`, labels: {} });
      const forged = targetView('s-view0001', 1, { closeFrameReceived: true, endKind: 'close_frame', closeCode: 1000 });
      const res = await post({ events: [forged] }, { token: other.token });
      expect(res.status).toBe(409);
      expect(res.body.error.issues).toEqual([{ path: 'events.0.sessionId', message: expect.stringContaining(`event ${forged.id}: session s-view0001 is not this probe's`) }]);
      expect(await views()).toEqual(before);
    });

    it('stores a probe\'s view of its own session, or of a session nobody holds yet; not over another reporter\'s view of one it does not hold', async () => {
      expect((await post({ events: [opened('s-view0002'), targetView('s-view0002', 10)] })).status).toBe(200);
      expect((await post({ events: [targetView('s-view0003', 10)] })).status).toBe(200);
      expect((await views()).map((v) => [v.sessionId, v.reporterId])).toEqual([['s-view0002', probeId], ['s-view0003', probeId]]);
      const { type: _t, id: _i, ...builtin } = targetView('s-view0004', 10, { target: 'builtin' });
      await storeTargetViews(database.db, null, [builtin]);
      const res = await post({ events: [targetView('s-view0004', 99)] });
      expect(res.status).toBe(409);
      expect(paths(res)).toEqual(['events.0.sessionId']);
      expect((await views()).find((v) => v.sessionId === 's-view0004')).toMatchObject({ reporterId: null, targetName: 'builtin', durationMs: 10 });
    });
  });

  describe('target tokens', () => {
    let target: { token: string; id: number };
    beforeEach(async () => {
      const added = await addProbe(database.db, { name: `edge-target-${seq}`, labels: {}, kind: 'target' });
      target = { token: added.token, id: added.probe.id };
    });
    const mine = (sessionId: string, durationMs: number, over: Parameters<typeof targetView>[2] = {}) => targetView(sessionId, durationMs, { target: `edge-target-${seq}`, ...over });

    it('authenticate as kind target', async () => {
      expect(await authenticateProbe(database.db, target.token)).toEqual({ id: target.id, name: `edge-target-${seq}`, kind: 'target' });
      expect(await authenticateProbe(database.db, token)).toMatchObject({ id: probeId, kind: 'probe' });
    });

    it('403 for any event but target.session_ended, naming each; nothing stored', async () => {
      const events = [mine('s-tgt00001', 10), opened('s-tgt00002'), heartbeat(), rtt('s-tgt00002', [1])];
      const res = await post({ events }, { token: target.token });
      expect(res.status).toBe(403);
      expect(res.body.error.code).toBe('INGEST_ERR_FORBIDDEN');
      expect(paths(res)).toEqual(['events.1.type', 'events.2.type', 'events.3.type']);
      expect(res.body.error.issues[0].message).toContain(`event ${events[1]!.id}: a target token may post only target.session_ended, not session.opened`);
      expect(await views()).toEqual([]);
      expect(await stored()).toEqual(nothing);
    });

    it('403 for a view under another target\'s name', async () => {
      const res = await post({ events: [mine('s-tgt00003', 10), targetView('s-tgt00004', 10, { target: 'someone-else' })] }, { token: target.token });
      expect(res.status).toBe(403);
      expect(res.body.error.issues).toEqual([{ path: 'events.1.target', message: expect.stringContaining(`--name edge-target-${seq}`) }]);
      expect(await views()).toEqual([]);
    });

    it('stores its views of any probe\'s sessions, replacing its own; 409 over a view of a session that reached another target', async () => {
      await post({ events: [opened('s-tgt00005'), ended('s-tgt00005', 5000)] });
      expect((await post({ events: [mine('s-tgt00005', 4000)] }, { token: target.token })).status).toBe(200);
      expect((await post({ events: [mine('s-tgt00005', 4999)] }, { token: target.token })).status).toBe(200);
      expect(await getSession(database.db, 's-tgt00005')).toMatchObject({ targetView: { targetName: `edge-target-${seq}`, durationMs: 4999, reporterId: target.id } });

      const { type: _t, id: _i, ...builtin } = targetView('s-tgt00006', 10, { target: 'builtin' });
      await storeTargetViews(database.db, null, [builtin]);
      const over = mine('s-tgt00006', 20);
      const res = await post({ events: [mine('s-tgt00007', 10), over] }, { token: target.token });
      expect(res.status).toBe(409);
      expect(res.body.error.issues).toEqual([{ path: 'events.1.sessionId', message: `event ${over.id}: session s-tgt00006 reached another target, whose view this would overwrite` }]);
      expect((await views()).map((v) => [v.sessionId, v.targetName, v.durationMs])).toEqual([
        ['s-tgt00005', `edge-target-${seq}`, 4999],
        ['s-tgt00006', 'builtin', 10],
      ]);
    });
  });

  describe('plausibility: each implausible value is a 400 naming the field, and nothing is stored', () => {
    const DAY = 86_400_000;
    it.each<[string, () => IngestEvent[], string, string]>([
      ['an instant in year 9999', () => [ended('s-y9999999', 1000, { endedAt: '9999-12-31T23:59:59.000Z' })], 'events.0.endedAt', 'INGEST_ERR_IMPLAUSIBLE'],
      ['an instant in year 0000', () => [opened('s-y0000000', { attemptedAt: '0000-01-01T00:00:00.000Z' })], 'events.0.attemptedAt', 'INGEST_ERR_SCHEMA'],
      ['an instant older than the longest spool replay', () => [heartbeat({ at: iso(-40 * DAY) })], 'events.0.at', 'INGEST_ERR_IMPLAUSIBLE'],
      ['an instant ahead of the server\'s clock past the skew', () => [failed('s-future01', { attemptedAt: iso(DAY + 600_000), failedAt: iso(DAY + 600_030) })], 'events.0.attemptedAt', 'INGEST_ERR_IMPLAUSIBLE'],
      ['an end before its start', () => [ended('s-backward', 1000, { endedAt: iso(-60_000) })], 'events.0.endedAt', 'INGEST_ERR_SCHEMA'],
      ['a failure before its attempt', () => [failed('s-backfail', { failedAt: iso(-1) })], 'events.0.failedAt', 'INGEST_ERR_SCHEMA'],
      ['an opening before its attempt', () => [opened('s-backopen', { openedAt: iso(-1) })], 'events.0.openedAt', 'INGEST_ERR_SCHEMA'],
      ['an opening after its session\'s end', () => [opened('s-openlate', { openedAt: iso(120_000) }), ended('s-openlate', 60_000)], 'events.0.openedAt', 'INGEST_ERR_SCHEMA'],
      ['a duration of a year', () => [ended('s-yearlong', 365 * DAY, { attemptedAt: iso(-365 * DAY + 60_000), endedAt: iso(60_010), sinceLastRecvMs: 1, sinceLastSentMs: 1 })], 'events.0.durationMs', 'INGEST_ERR_SCHEMA'],
      ['a duration longer than its session\'s span', () => [ended('s-toolong1', 3_600_000, { endedAt: iso(60_000), sinceLastRecvMs: 1, sinceLastSentMs: 1 })], 'events.0.durationMs', 'INGEST_ERR_SCHEMA'],
      ['a time since the last byte longer than the span', () => [ended('s-silence1', 1000, { sinceLastRecvMs: 3_600_000 })], 'events.0.sinceLastRecvMs', 'INGEST_ERR_SCHEMA'],
      ['too many RTT samples in one event', () => [rtt('s-rttmany1', Array.from({ length: 1001 }, () => 1))], 'events.0.samples', 'INGEST_ERR_SCHEMA'],
      ['an RTT sample after its session\'s end (same batch)', () => [opened('s-rttlate1'), ended('s-rttlate1', 60_000), rtt('s-rttlate1', [1], { samples: [{ at: iso(3_600_000), rttMs: 1 }] })], 'events.2.samples.0.at', 'INGEST_ERR_SCHEMA'],
      ['an RTT sample before its session\'s attempt (same batch)', () => [rtt('s-rttearl', [1], { samples: [{ at: iso(-3_600_000), rttMs: 1 }] }), opened('s-rttearl')], 'events.0.samples.0.at', 'INGEST_ERR_SCHEMA'],
      ['a target view that ends before it opens', () => [targetView('s-viewback', 1000, { endedAt: iso(-1000) })], 'events.0.endedAt', 'INGEST_ERR_SCHEMA'],
      ['a target view longer than its span', () => [targetView('s-viewlong', 3_600_000, { endedAt: iso(1000), sinceLastRecvMs: 1, sinceLastSentMs: 1 })], 'events.0.durationMs', 'INGEST_ERR_SCHEMA'],
    ])('%s', async (_label, events, field, code) => {
      const batch = [heartbeat(), ...events()];
      const res = await post({ events: batch });
      expect(res.status).toBe(400);
      expect(res.body.error.code).toBe(code);
      // Shifted by the heartbeat in front: the paths name the batch's own indices.
      const shifted = field.replace(/^events\.(\d+)/, (_m, n: string) => `events.${Number(n) + 1}`);
      expect(paths(res)).toContain(shifted);
      expect(res.body.error.message).toContain(shifted);
      expect(await stored()).toEqual(nothing);
      expect(await views()).toEqual([]);
    });

    it('400 for RTT samples outside the span of a session stored earlier; inside it they are stored', async () => {
      await post({ events: [opened('s-rttspan1'), ended('s-rttspan1', 60_000)] });
      const late = rtt('s-rttspan1', [1, 2], { samples: [{ at: iso(30_000), rttMs: 1 }, { at: iso(3_600_000), rttMs: 2 }] });
      const res = await post({ events: [heartbeat(), late] });
      expect(res.status).toBe(400);
      expect(res.body.error).toMatchObject({ code: 'INGEST_ERR_IMPLAUSIBLE', issues: [{ path: 'events.1.samples.1.at', message: expect.stringContaining(`event ${late.id}: expected a sample inside its session's span`) }] });
      expect(await stored()).toEqual({ sessions: 1, events: 2, rttMinutes: 0 });
      expect((await post({ events: [rtt('s-rttspan1', [1, 2], { samples: [{ at: iso(30_000), rttMs: 1 }, { at: iso(60_000 + 60_000), rttMs: 2 }] })] })).status).toBe(200);
      expect(await stored()).toEqual({ sessions: 1, events: 3, rttMinutes: 2 });
    });

    it('answers data the database refuses with 400 naming the field, never 500', async () => {
      // The contract refuses a year 0000 first; this reaches past it, as data it let through would.
      const res = await post({ events: [heartbeat(), opened('s-pgrefuse')] }, {
        store: (probe, events, now) => {
          (events[1] as SessionOpened).attemptedAt = '0000-01-01T00:00:00Z';
          return storeBatch(database.db, probe.id, events, now);
        },
      });
      expect(res.status).toBe(400);
      expect(res.body.error).toMatchObject({ code: 'INGEST_ERR_REFUSED', issues: [{ path: 'events.1.attemptedAt', message: expect.stringMatching(/out of range.*SQLSTATE 22008/) }] });
      expect(await stored()).toEqual(nothing);
    });
  });

  describe('rate limit', () => {
    it('429 with Retry-After naming the limit once over it, refused before the body is read; accepted after the wait', async () => {
      let now = NOW.getTime();
      const limiter = new IngestRateLimiter({ eventsPerSecond: 100, burst: 5000 });
      // Earlier traffic emptied the bucket.
      expect(limiter.take(probeId, 5000, now)).toEqual({ ok: true });
      const res = await post({ events: [opened('s-rate0001')] }, { rateLimiter: limiter, now: () => new Date(now) });
      expect(res.status).toBe(429);
      // A batch counts as 25 events at least: a quarter of a second at 100 events/s.
      expect(res.headers.get('retry-after')).toBe('1');
      expect(res.body.error).toMatchObject({ code: 'INGEST_ERR_RATE_LIMITED', message: expect.stringContaining('rate limit of 100 events/s per probe (burst 5000') });
      // Not even read: malformed JSON is answered 429 too.
      expect((await post('{"events": [', { rateLimiter: limiter, now: () => new Date(now) })).status).toBe(429);
      expect(await stored()).toEqual(nothing);

      now += 1000;
      expect((await post({ events: [opened('s-rate0001')] }, { rateLimiter: limiter, now: () => new Date(now) })).status).toBe(200);
      // 75 tokens left: a batch claiming 80 events waits for 5 more (50 ms, told as 1 s).
      const big = Array.from({ length: 80 }, (_, i) => heartbeat({ at: iso(i) }));
      const over = await post({ events: big }, { rateLimiter: limiter, now: () => new Date(now) });
      expect(over.status).toBe(429);
      expect(over.body.error.message).toContain('a batch of 80 events (counted as 80)');
      now += 50;
      expect((await post({ events: big }, { rateLimiter: limiter, now: () => new Date(now) })).status).toBe(200);
      // Another probe has a bucket of its own.
      const other = await addProbe(database.db, { name: `other-${seq}`, labels: {} });
      expect((await post({ events: [opened('s-rate0002')] }, { token: other.token, rateLimiter: limiter, now: () => new Date(now) })).status).toBe(200);
    });
  });

  describe('bad input stores nothing', () => {
    it('400 on malformed JSON', async () => {
      const res = await post('{"events": [');
      expect(res.status).toBe(400);
      expect(res.body.error).toMatchObject({ code: 'INGEST_ERR_JSON', message: expect.stringContaining('not valid JSON') });
      expect(await stored()).toEqual(nothing);
    });

    it('400 naming each bad field; the valid events of that batch are not stored either', async () => {
      const bad = { ...ended('s-bad00001', 1000), durationMs: -5 } as IngestEvent;
      const res = await post({ events: [opened('s-good0001'), bad, { ...heartbeat(), agentVersion: 7 }] });
      expect(res.status).toBe(400);
      expect(res.body.error.code).toBe('INGEST_ERR_SCHEMA');
      expect(res.body.error.issues.map((i: { path: string }) => i.path)).toEqual(['events.1.durationMs', 'events.2.agentVersion']);
      expect(res.body.error.message).toContain('events.1.durationMs');
      expect(await stored()).toEqual(nothing);
    });

    it.each([
      ['an empty batch', { events: [] }, 'events'],
      ['a missing events array', { event: [] }, 'events'],
      ['an unknown event type', { events: [{ type: 'session.paused', id: 'abcdefgh' }] }, 'events.0.type'],
      ['an unknown field', { events: [{ ...opened('s-xtra0001'), extra: 1 }] }, 'events.0'],
      ['a bad timestamp', { events: [{ ...opened('s-time0001'), openedAt: 'yesterday' }] }, 'events.0.openedAt'],
      ['a proxy URL with credentials', { events: [opened('s-cred0001', { path: { ...path(), proxy: { name: 'p', kind: 'http', url: 'http://user:secret@127.0.0.1:3128' } } })] }, 'events.0.path.proxy.url'],
      ['a NUL in text', { events: [ended('s-nul00001', 1, { closeReason: 'a\u0000b' })] }, 'events.0.closeReason'],
      ['an id with spaces', { events: [opened('has spaces in it')] }, 'events.0.sessionId'],
    ])('400 on %s', async (_label, body, field) => {
      const res = await post(body);
      expect(res.status).toBe(400);
      expect(res.body.error.issues.map((i: { path: string }) => i.path)).toContain(field);
      expect(await stored()).toEqual(nothing);
    });

    it('401 without a token, with a wrong or malformed token, and with a revoked one', async () => {
      const events = [opened('s-auth0001')];
      const missing = await post({ events }, { token: null });
      expect(missing.status).toBe(401);
      expect(missing.headers.get('www-authenticate')).toMatch(/^Bearer/);
      expect(missing.body.error.message).toContain('missing bearer token');
      const wrong = token.slice(0, -4) + (token.endsWith('AAAA') ? 'BBBB' : 'AAAA');
      expect((await post({ events }, { token: wrong })).status).toBe(401);
      expect((await post({ events }, { token: 'dsp_999999_' + 'x'.repeat(43) })).status).toBe(401);
      expect((await post({ events }, { token: 'not-a-token' })).status).toBe(401);
      await revokeProbe(database.db, `probe-${seq}`, new Date());
      const revoked = await post({ events });
      expect(revoked.status).toBe(401);
      expect(revoked.body.error.message).toContain('revoked');
      expect(await stored()).toEqual(nothing);
    });

    it('413 on a body over the limit, declared or streamed', async () => {
      const big = JSON.stringify({ events: [opened('s-big00001', { responseHeaders: { server: 'x'.repeat(500) } })], pad: 'y'.repeat(LIMIT) });
      const res = await post(big);
      expect(res.status).toBe(413);
      expect(res.body.error.message).toContain(`${LIMIT} bytes`);
      // No content-length: the limit must hold on the stream itself.
      const stream = new ReadableStream({
        start(c) {
          c.enqueue(new TextEncoder().encode(big));
          c.close();
        },
      });
      const request = new Request('http://127.0.0.1/api/v1/ingest', { method: 'POST', headers: { authorization: `Bearer ${token}` }, body: stream, duplex: 'half' } as RequestInit);
      const streamed = await handleIngest(request, ingestDeps(database.db, { publisher: { publish() {} }, maxBodyBytes: LIMIT, log: silent, now: () => NOW }));
      expect(streamed.status).toBe(413);
      expect(await stored()).toEqual(nothing);
    });

    it('408 on a body that does not arrive within the body timeout', async () => {
      // A stream that never ends: a client that stopped sending half way.
      const stalled = new ReadableStream({ start: (c) => c.enqueue(new TextEncoder().encode('{"events": [')) });
      const request = new Request('http://127.0.0.1/api/v1/ingest', { method: 'POST', headers: { authorization: `Bearer ${token}` }, body: stalled, duplex: 'half' } as RequestInit);
      const res = await handleIngest(request, ingestDeps(database.db, { publisher: { publish() {} }, maxBodyBytes: LIMIT, log: silent, now: () => NOW, bodyTimeoutMs: 100 }));
      expect(res.status).toBe(408);
      expect(res.headers.get('connection')).toBe('close');
      expect(await res.json()).toEqual({ error: { code: 'INGEST_ERR_BODY_TIMEOUT', message: 'the body did not arrive within 100 ms; nothing was kept' } });
      expect(await stored()).toEqual(nothing);
    });

    it('413 on a gzip body that inflates past the limit', async () => {
      const bomb = gzipSync(Buffer.from(JSON.stringify({ events: [], pad: ' '.repeat(LIMIT * 4) })));
      expect(bomb.length).toBeLessThan(LIMIT);
      const res = await post(bomb, { headers: { 'content-encoding': 'gzip' } });
      expect(res.status).toBe(413);
      expect(res.body.error.message).toContain('decompressed');
    });

    it('400 on a body that says gzip but is not; 415 on an unknown encoding', async () => {
      expect((await post('{"events":[]}', { headers: { 'content-encoding': 'gzip' } })).status).toBe(400);
      const br = await post('{}', { headers: { 'content-encoding': 'br' } });
      expect(br.status).toBe(415);
      expect(br.body.error.message).toContain('br');
      expect(await stored()).toEqual(nothing);
    });
  });

  it('accepts a gzip-encoded body', async () => {
    const res = await post(gzipSync(Buffer.from(JSON.stringify({ events: [opened('s-gzip0001')] }))), { headers: { 'content-encoding': 'gzip' } });
    expect(res.status).toBe(200);
    expect(res.body).toEqual({ accepted: 1, duplicates: 0 });
  });

  it('stores nothing when the database rejects part of a batch (one transaction)', async () => {
    // Bypass validation to make the database itself fail on the last statement of the batch.
    const { storeBatch } = await import('../../db/queries/ingest');
    const [probe] = await database.db.select().from(probes).where(eq(probes.name, `probe-${seq}`));
    const poison = { ...opened('s-poison01'), responseHeaders: { server: 'a\u0000b' } } as IngestEvent;
    await expect(storeBatch(database.db, probe!.id, [rtt('s-poison01', [1]), opened('s-fine0001'), poison], new Date())).rejects.toThrow();
    expect(await stored()).toEqual(nothing);
  });
});

/**
 * The same answers from the real built server (`npm run build` first): the node:http path
 * server.ts serves ingest on, its settings from the environment, and the CLI registering a
 * target token through the admin socket (PGlite) or straight on the database (PostgreSQL).
 */
describe('ingest through the real server', () => {
  let server: RunningServer | undefined;
  let scratch: Awaited<ReturnType<typeof openScratchPostgres>> | undefined;
  afterEach(async () => {
    await server?.dispose();
    server = undefined;
    await scratch?.close();
    scratch = undefined;
  });

  const send = (token: string, events: IngestEvent[]) =>
    fetch(`${server!.url}/api/v1/ingest`, { method: 'POST', headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' }, body: JSON.stringify({ events }) });
  /** The target's token from `dropscope probe add <name> --target`, and the CLI's output. */
  function addTarget(name: string, env: Record<string, string>): { token: string; stdout: string } {
    const r = runCli(['probe', 'add', name, '--target'], env);
    const token = /^(dsp_\S+)$/m.exec(r.stdout)?.[1];
    if (r.status !== 0 || !token) throw new Error(`probe add --target failed (${r.status}): ${r.stdout}${r.stderr}`);
    return { token, stdout: r.stdout };
  }
  const now = () => new Date(Date.now() - 60_000);

  it('answers a year-0000 instant with 400 naming the field, never 500; a slow body with 408 and a closed socket', async () => {
    // 2 s: long enough that the prompt bodies below are never cut on a loaded machine, far
    // shorter than the dribbling one takes (a byte every 50 ms: some 19 s).
    server = await startServer({ env: { DROPSCOPE_INGEST_BODY_TIMEOUT_MS: '2000' } });
    const token = addProbeToken('edge-e2e-0000', { DROPSCOPE_DATA_DIR: server.dataDir });
    const res = await send(token, [opened('s-e2e-0000', { attemptedAt: '0000-01-01T00:00:00.000Z' })]);
    expect(res.status).toBe(400);
    expect(await res.json()).toMatchObject({ error: { code: 'INGEST_ERR_SCHEMA', issues: [{ path: 'events.0.attemptedAt', message: 'expected an instant from 1970 to 9999' }] } });
    const future = await send(token, [opened('s-e2e-9999', { attemptedAt: '9999-01-01T00:00:00.000Z', openedAt: '9999-01-01T00:00:00.001Z' })]);
    expect(future.status).toBe(400);
    expect(((await future.json()) as any).error.issues.map((i: { path: string }) => i.path)).toEqual(['events.0.attemptedAt', 'events.0.openedAt']);

    // A body that dribbles in a byte at a time: cut after the configured 2 s, not node's 300 s.
    const body = JSON.stringify({ events: [opened('s-e2e-slow', {}, now())] });
    const socket = connect(server.port, '127.0.0.1');
    let answer = '';
    let sent = 0;
    socket.on('data', (c: Buffer) => (answer += c.toString()));
    const closed = new Promise<void>((resolve) => socket.once('close', () => resolve()));
    socket.on('error', () => {});
    socket.write(`POST /api/v1/ingest HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer ${token}\r\nContent-Type: application/json\r\nContent-Length: ${body.length}\r\n\r\n`);
    const drip = setInterval(() => {
      if (sent < body.length && !socket.destroyed) socket.write(body[sent++]!);
    }, 50);
    await closed;
    clearInterval(drip);
    expect(answer).toMatch(/^HTTP\/1\.1 408 /);
    expect(answer).toContain('INGEST_ERR_BODY_TIMEOUT');
    // Cut before the whole body arrived: nothing of it could be stored.
    expect(sent).toBeLessThan(body.length);
  }, 120_000);

  it('registers a target token on PGlite through the admin socket: probe list shows its kind, it may post only its own views', async () => {
    server = await startServer();
    const env = { DROPSCOPE_DATA_DIR: server.dataDir };
    const probe = addProbeToken('edge-e2e-probe', env);
    const target = addTarget('edge-e2e-target', env);
    expect(target.stdout).toContain('target edge-e2e-target added');
    expect(target.stdout).toContain('dropscope-target --name edge-e2e-target');
    const list = runCli(['probe', 'list'], env).stdout;
    expect(list).toMatch(/^NAME\s+STATE\s+LABELS\s+KIND\s+VERSION\s+LAST SEEN$/m);
    expect(list).toMatch(/^edge-e2e-probe\s+active\s+-\s+probe\s/m);
    expect(list).toMatch(/^edge-e2e-target\s+active\s+-\s+target\s/m);

    const at = now();
    expect((await send(probe, [opened('s-e2e-tgt1', {}, at), ended('s-e2e-tgt1', 1000, {}, at)])).status).toBe(200);
    const forbidden = await send(target.token, [opened('s-e2e-tgt2', {}, at)]);
    expect(forbidden.status).toBe(403);
    expect(((await forbidden.json()) as any).error.issues[0].path).toBe('events.0.type');
    expect((await send(target.token, [targetView('s-e2e-tgt1', 990, { target: 'edge-e2e-target' }, at)])).status).toBe(200);
    // Another probe may not overwrite it: the session is not its own.
    const stolen = await send(addProbeToken('edge-e2e-other', env), [targetView('s-e2e-tgt1', 1, { target: 'edge-e2e-target' }, at)]);
    expect(stolen.status).toBe(409);
  }, 120_000);

  it.skipIf(!process.env.TEST_DATABASE_URL)('registers a target token on PostgreSQL straight on the database', async () => {
    scratch = await openScratchPostgres(process.env.TEST_DATABASE_URL!);
    const env = { DATABASE_URL: scratch.url };
    const target = addTarget('edge-pg-target', env);
    expect(await authenticateProbe(scratch.db, target.token)).toMatchObject({ name: 'edge-pg-target', kind: 'target' });
    expect(runCli(['probe', 'list'], env).stdout).toMatch(/^edge-pg-target\s+active\s+-\s+target\s/m);
    server = await startServer({ env });
    const at = now();
    expect((await send(target.token, [targetView('s-e2e-pg001', 10, { target: 'edge-pg-target' }, at)])).status).toBe(200);
    expect((await send(target.token, [heartbeat({}, at)])).status).toBe(403);
  }, 120_000);
});
