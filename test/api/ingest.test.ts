/**
 * The ingest API's contract, exercised through the real handler and real storage on every
 * backend: each bad-input class answers the right status, names the field, stores nothing.
 */
import { gzipSync } from 'node:zlib';
import { count, eq } from 'drizzle-orm';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { ingestDeps } from '../../app/api/v1/ingest/deps';
import type { Database } from '../../db/client';
import { addProbe, revokeProbe } from '../../db/queries/probes';
import { getSession } from '../../db/queries/sessions';
import { canarySessions, ingestedEvents, probes, rttMinutes } from '../../db/schema';
import type { IngestEvent } from '../../lib/contracts/ingest';
import { handleIngest } from '../../lib/ingest/handle-ingest';
import { createLogger } from '../../lib/log';
import type { FeedItem } from '../../lib/realtime/feed';
import { backends } from '../helpers/databases';
import { ended, failed, heartbeat, opened, path, rtt } from '../helpers/events';

const LIMIT = 64 * 1024;
const silent = createLogger({ level: 'silent' });

describe.each(backends())('ingest API on $name', (backend) => {
  let database: Database;
  let token: string;
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
    token = (await addProbe(database.db, { name: `probe-${++seq}`, labels: { region: 'eu' } })).token;
    published = [];
  });

  async function post(body: string | Buffer | object, init: { token?: string | null; headers?: Record<string, string> } = {}) {
    const headers: Record<string, string> = { 'content-type': 'application/json', ...init.headers };
    const t = init.token === undefined ? token : init.token;
    if (t !== null) headers.authorization = `Bearer ${t}`;
    const payload = typeof body === 'string' ? body : Buffer.isBuffer(body) ? new Uint8Array(body) : JSON.stringify(body);
    const request = new Request('http://127.0.0.1/api/v1/ingest', { method: 'POST', headers, body: payload });
    const response = await handleIngest(
      request,
      ingestDeps(database.db, { publisher: { publish: (items) => published.push(...items) }, maxBodyBytes: LIMIT, log: silent }),
    );
    return { status: response.status, body: (await response.json()) as any, headers: response.headers };
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

  it('does not let one probe rewrite another probe\'s session', async () => {
    await post({ events: [opened('s-own00001'), ended('s-own00001', 5000)] });
    const other = (await addProbe(database.db, { name: `other-${seq}`, labels: {} })).token;
    expect((await post({ events: [ended('s-own00001', 1, { endKind: 'tcp_reset' })] }, { token: other })).status).toBe(200);
    expect(await getSession(database.db, 's-own00001')).toMatchObject({ durationMs: 5000, endKind: 'tcp_fin' });
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
      const streamed = await handleIngest(request, ingestDeps(database.db, { publisher: { publish() {} }, maxBodyBytes: LIMIT, log: silent }));
      expect(streamed.status).toBe(413);
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
