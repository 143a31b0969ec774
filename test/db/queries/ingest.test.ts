/**
 * storeBatch's row transport: rows travel as one json parameter unpacked by
 * json_to_recordset (db/queries/ingest.ts). These pin what that path must preserve on
 * every backend: every column of every row exactly as sessionRows computed it, batches
 * far past the old 1000-row statement chunks, and strings the json parser would refuse.
 */
import { count, eq, getTableColumns } from 'drizzle-orm';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { Database } from '../../../db/client';
import { RttOutsideSessionError, SessionConflictError, sessionRows, storeBatch } from '../../../db/queries/ingest';
import { addProbe } from '../../../db/queries/probes';
import { canarySessions, ingestedEvents, probes, rttMinutes, targetSessionViews } from '../../../db/schema';
import type { IngestEvent } from '../../../lib/contracts/ingest';
import { backends } from '../../helpers/databases';
import { ended, failed, heartbeat, iso, opened, path, rtt, rttMinute, targetView } from '../../helpers/events';
import { rttBucketIndex } from '../../../lib/rtt/buckets';

const NOW = new Date('2026-11-02T00:00:00.000Z');

describe.each(backends())('storeBatch on $name', (backend) => {
  let database: Database;
  let probeId: number;
  let seq = 0;

  beforeAll(async () => {
    database = await backend.open();
  });
  afterAll(async () => {
    await database.close();
  });
  beforeEach(async () => {
    await database.db.delete(probes);
    probeId = (await addProbe(database.db, { name: `probe-${++seq}`, labels: {} })).probe.id;
  });

  it('writes every column of every row exactly as sessionRows computes it', async () => {
    const events: IngestEvent[] = [
      opened('s-full0001', { path: path({ proxy: 'squid', kind: 'http' }), responseHeaders: { server: 'nginx', via: '1.1 squid' }, egressAddress: '203.0.113.7', timings: { dnsMs: 0.25, tcpMs: 1, proxyMs: 2.5, tlsMs: 3, upgradeMs: 4.75 } }),
      ended('s-full0001', 3_600_000.5, { closeReason: 'going away', errorCode: 'ECONNRESET', bytesIn: 2 ** 40, bytesOut: 7, messagesIn: 3, messagesOut: 4, rtt: { count: 9, minMs: 0.5, medianMs: 1.5, maxMs: 99 } }),
      failed('s-fail0001', { outcome: 'proxy_refused', proxyReply: 'HTTP/1.1 407 Proxy Authentication Required', errorMessage: 'refused', httpStatus: undefined }),
      ended('s-endonly1', 5),
    ];
    await storeBatch(database.db, probeId, events, NOW);

    const nulls = Object.fromEntries(Object.keys(getTableColumns(canarySessions)).map((k) => [k, null]));
    // sessionRows keeps instants as the events' ISO strings; the table answers Dates.
    const instant = (v: string | null | undefined) => (typeof v === 'string' ? new Date(v) : null);
    const expected = sessionRows(probeId, events, NOW).map((r) => ({
      ...nulls,
      ...r,
      attemptedAt: instant(r.attemptedAt),
      openedAt: instant(r.openedAt),
      endedAt: instant(r.endedAt),
      updatedAt: instant(r.updatedAt),
    }));
    const stored = await database.db.select().from(canarySessions).orderBy(canarySessions.id);
    expect(stored).toEqual(expected.sort((a, b) => (a.id < b.id ? -1 : 1)));
  });

  it('stores a batch of 5000 events in one go', async () => {
    const events: IngestEvent[] = [];
    for (let i = 0; i < 2000; i++) events.push(opened(`s-big-${i}`), ended(`s-big-${i}`, i));
    for (let i = 0; i < 1000; i++) events.push(rtt(`s-big-${i}`, [1, 2, 3], { path: path({ target: `t${i % 7}` }) }));
    const result = await storeBatch(database.db, probeId, events, NOW);
    expect(result).toMatchObject({ accepted: 5000, duplicates: 0 });
    const [s] = await database.db.select({ n: count() }).from(canarySessions);
    const [e] = await database.db.select({ n: count() }).from(ingestedEvents);
    const rttCount = await database.db.select({ n: rttMinutes.count }).from(rttMinutes);
    expect({ sessions: s!.n, events: e!.n, samples: rttCount.reduce((n, r) => n + r.n, 0) }).toEqual({ sessions: 2000, events: 5000, samples: 3000 });
  });

  it('adds a path’s minutes from rtt.minute and rtt.samples into one row, across batches and replays', async () => {
    // NOW's previous minute, in two parts from a probe and three samples from an older one.
    const base = new Date(NOW.getTime() - 60_000);
    const p = path({ profile: 'heartbeat' });
    const one = rttMinute([1, 2, 250], { path: p }, 0, base);
    const two = rttMinute([0.5, 3], { path: p }, 0, base);
    const samples = rtt('s-minute01', [4, 5, 6], { path: p }, base);
    expect(await storeBatch(database.db, probeId, [one, samples], NOW)).toMatchObject({ accepted: 2 });
    expect(await storeBatch(database.db, probeId, [two, one], NOW)).toMatchObject({ accepted: 1, duplicates: 1 });
    const rows = await database.db.select().from(rttMinutes);
    expect(rows).toHaveLength(1);
    const all = [1, 2, 250, 0.5, 3, 4, 5, 6];
    expect(rows[0]).toMatchObject({ minute: base, count: all.length, sumMs: all.reduce((a, b) => a + b, 0), minMs: 0.5, maxMs: 250 });
    const want = new Array<number>(rows[0]!.buckets.length).fill(0);
    for (const ms of all) want[rttBucketIndex(ms)]! += 1;
    expect(rows[0]!.buckets).toEqual(want);
  });

  it('replaces lone surrogates with U+FFFD, as binding the text did, instead of failing the batch', async () => {
    // JSON.parse accepts "\ud800" escapes, and the contract accepts the resulting string.
    const events = [
      ended('s-surr0001', 10, { closeReason: 'a\ud800b \ud83d\ude00', errorCode: '\udc00' }),
      opened('s-surr0002', { responseHeaders: { server: 'x\udbff' } }),
      rtt('s-surr0001', [1], { path: path({ proxy: 'p\ud801' }) }),
    ];
    expect(await storeBatch(database.db, probeId, events, NOW)).toMatchObject({ accepted: 3 });
    const [one] = await database.db.select().from(canarySessions).where(eq(canarySessions.id, 's-surr0001'));
    const [two] = await database.db.select().from(canarySessions).where(eq(canarySessions.id, 's-surr0002'));
    const [minute] = await database.db.select().from(rttMinutes);
    expect([one?.closeReason, one?.errorCode, two?.responseHeaders, minute?.proxyName]).toEqual(['a\ufffdb \ud83d\ude00', '\ufffd', { server: 'x\ufffd' }, 'p\ufffd']);
  });

  describe('the ledger decides what a batch applies', () => {
    it('applies only the new events of a partly replayed batch', async () => {
      const open = opened('s-part0001', {}, new Date(NOW.getTime() - 60_000));
      const samples = rtt('s-part0001', [10, 20], {}, new Date(NOW.getTime() - 60_000));
      expect(await storeBatch(database.db, probeId, [open, samples], NOW)).toMatchObject({ accepted: 2, duplicates: 0 });

      // The reporter resends both with an end and a new session: two applied, two duplicates.
      const end = ended('s-part0001', 30_000, {}, new Date(NOW.getTime() - 60_000));
      const other = failed('s-part0002', {}, new Date(NOW.getTime() - 60_000));
      const second = await storeBatch(database.db, probeId, [open, end, samples, other, heartbeat({ spoolDepth: 3 })], NOW);
      expect(second).toMatchObject({ accepted: 3, duplicates: 2 });
      expect(second.applied.map((e) => e.type)).toEqual(['session.ended', 'attempt.failed', 'probe.heartbeat']);

      const [row] = await database.db.select().from(canarySessions).where(eq(canarySessions.id, 's-part0001'));
      expect(row).toMatchObject({ outcome: 'opened', durationMs: 30_000, endKind: 'tcp_fin' });
      const [minute] = await database.db.select().from(rttMinutes);
      expect(minute).toMatchObject({ count: 2, sumMs: 30 });
      const [probe] = await database.db.select().from(probes).where(eq(probes.id, probeId));
      expect(probe).toMatchObject({ spoolDepth: 3 });
    });

    it('counts an id repeated in a batch once and merges two events of one session in order', async () => {
      const end = ended('s-twice001', 5000, { closeCode: 1001, endKind: 'close_frame' });
      const open = opened('s-twice001', { egressAddress: '198.51.100.1' });
      const result = await storeBatch(database.db, probeId, [end, open, end, open], NOW);
      expect(result).toMatchObject({ accepted: 2, duplicates: 2 });
      const [row] = await database.db.select().from(canarySessions).where(eq(canarySessions.id, 's-twice001'));
      expect(row).toMatchObject({ outcome: 'opened', httpStatus: 101, durationMs: 5000, closeCode: 1001, endKind: 'close_frame', egressAddress: '198.51.100.1' });
    });

    it('answers an all-duplicate batch without applying anything, not even its heartbeat', async () => {
      const batch = [opened('s-dupe0001'), heartbeat({ spoolDepth: 1 })];
      await storeBatch(database.db, probeId, batch, NOW);
      await database.db.update(probes).set({ spoolDepth: 7 }).where(eq(probes.id, probeId));
      const replay = await storeBatch(database.db, probeId, batch, NOW);
      expect(replay).toMatchObject({ accepted: 0, duplicates: 2, applied: [] });
      const [probe] = await database.db.select().from(probes).where(eq(probes.id, probeId));
      expect(probe).toMatchObject({ spoolDepth: 7 });
      const [e] = await database.db.select({ n: count() }).from(ingestedEvents);
      expect(e!.n).toBe(2);
    });

    it('keeps a replayed batch whole: a failed first attempt on the ledger leaves nothing of it behind', async () => {
      // The first attempt inserts the ledger plainly and fails on the replayed id after the
      // session rows and rollups were written; only the second attempt's effects may remain.
      const first = [opened('s-again001'), ended('s-again001', 1000)];
      await storeBatch(database.db, probeId, first, NOW);
      const replay = await storeBatch(database.db, probeId, [...first, opened('s-again002'), rtt('s-again002', [5])], NOW);
      expect(replay).toMatchObject({ accepted: 2, duplicates: 2 });
      const rows = await database.db.select({ id: canarySessions.id, durationMs: canarySessions.durationMs }).from(canarySessions).orderBy(canarySessions.id);
      expect(rows).toEqual([{ id: 's-again001', durationMs: 1000 }, { id: 's-again002', durationMs: null }]);
      const [minute] = await database.db.select().from(rttMinutes);
      expect(minute).toMatchObject({ count: 1, sumMs: 5 });
      const [e] = await database.db.select({ n: count() }).from(ingestedEvents);
      expect(e!.n).toBe(4);
    });
  });

  describe('a session belongs to the probe that first wrote it', () => {
    const counts = async () => {
      const [e] = await database.db.select({ n: count() }).from(ingestedEvents);
      const [s] = await database.db.select({ n: count() }).from(canarySessions);
      const [r] = await database.db.select({ n: count() }).from(rttMinutes);
      const [v] = await database.db.select({ n: count() }).from(targetSessionViews);
      return { events: e!.n, sessions: s!.n, rtt: r!.n, views: v!.n };
    };

    it('throws SessionConflictError for another probe\'s (id, attempt), keeping nothing of the batch, also in a replayed batch', async () => {
      await storeBatch(database.db, probeId, [opened('s-held0001'), ended('s-held0001', 100)], NOW);
      const other = (await addProbe(database.db, { name: `other-${++seq}`, labels: {} })).probe.id;
      const before = await counts();
      const batch = [opened('s-free0001'), rtt('s-free0001', [1]), ended('s-held0001', 1, { endKind: 'tcp_reset' }), heartbeat({})];
      await expect(storeBatch(database.db, other, batch, NOW)).rejects.toMatchObject({ code: 'INGEST_ERR_CONFLICT', sessions: ['s-held0001'], views: [] });
      expect(await counts()).toEqual(before);
      // A replay (one id in the ledger already) takes the second path: refused the same.
      await storeBatch(database.db, other, [batch[0]!], NOW);
      const after = await counts();
      await expect(storeBatch(database.db, other, batch, NOW)).rejects.toBeInstanceOf(SessionConflictError);
      expect(await counts()).toEqual(after);
      const [row] = await database.db.select().from(canarySessions).where(eq(canarySessions.id, 's-held0001'));
      expect(row).toMatchObject({ probeId, endKind: 'tcp_fin', durationMs: 100 });
    });

    it('lets a probe store its own sessions again, and the same id at another attempt', async () => {
      await storeBatch(database.db, probeId, [opened('s-mine0001')], NOW);
      expect(await storeBatch(database.db, probeId, [ended('s-mine0001', 10)], NOW)).toMatchObject({ accepted: 1 });
      const other = (await addProbe(database.db, { name: `other-${++seq}`, labels: {} })).probe.id;
      const later = new Date(NOW.getTime() - 3_600_000);
      expect(await storeBatch(database.db, other, [opened('s-mine0001', {}, later)], NOW)).toMatchObject({ accepted: 1 });
    });

    it('refuses a target\'s view over a view of a session that reached another target; stores its own and replaces them', async () => {
      const target = (await addProbe(database.db, { name: `edge-${++seq}`, labels: {}, kind: 'target' })).probe;
      const reporter = { kind: 'target' as const, name: target.name };
      await storeBatch(database.db, target.id, [targetView('s-tview001', 10, { target: target.name })], NOW, { reporter });
      await storeBatch(database.db, target.id, [targetView('s-tview001', 20, { target: target.name })], NOW, { reporter });
      await storeBatch(database.db, probeId, [targetView('s-tview002', 10, { target: 'elsewhere' })], NOW);
      const before = await counts();
      await expect(storeBatch(database.db, target.id, [targetView('s-tview003', 1, { target: target.name }), targetView('s-tview002', 1, { target: target.name })], NOW, { reporter })).rejects.toMatchObject({
        code: 'INGEST_ERR_CONFLICT',
        sessions: [],
        views: ['s-tview002'],
      });
      expect(await counts()).toEqual(before);
      const rows = await database.db.select().from(targetSessionViews).orderBy(targetSessionViews.sessionId);
      expect(rows.map((r) => [r.sessionId, r.reporterId, r.targetName, r.durationMs, r.receivedAt.toISOString()])).toEqual([
        ['s-tview001', target.id, target.name, 20, NOW.toISOString()],
        ['s-tview002', probeId, 'elsewhere', 10, NOW.toISOString()],
      ]);
    });

    it('throws RttOutsideSessionError for samples outside a stored session\'s span, naming them; inside, and for sessions not stored, they are kept', async () => {
      await storeBatch(database.db, probeId, [opened('s-rtts0001'), ended('s-rtts0001', 60_000)], NOW);
      const before = await counts();
      const samples = rtt('s-rtts0001', [1, 2, 3], { samples: [{ at: iso(1000), rttMs: 1 }, { at: iso(-3_600_000), rttMs: 2 }, { at: iso(3_600_000), rttMs: 3 }] });
      const err = await storeBatch(database.db, probeId, [heartbeat({}), samples], NOW).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(RttOutsideSessionError);
      expect((err as RttOutsideSessionError).samples.map((s) => [s.event.id, s.index])).toEqual([[samples.id, 1], [samples.id, 2]]);
      expect(await counts()).toEqual(before);
      expect(await storeBatch(database.db, probeId, [rtt('s-rtts0001', [1]), rtt('s-notyet01', [1], {}, new Date(0))], NOW)).toMatchObject({ accepted: 2 });
    });
  });

  describe("issue 18's descriptor fields and echo statistics (migration 0026)", () => {
    const bisectPath = { ...path({ profile: 'bisect' }), profileKind: 'bisect' as const, gapMs: 75_000 };
    const keepalivePath = { ...path({ profile: 'keepalive-25s' }), profileKind: 'keepalive' as const, gapMs: 112_500, keepaliveMs: 25_000 };
    const holdPath = { ...path({ profile: 'verify-hb-30s' }), profileKind: 'heartbeat' as const, intervalMs: 30_000, holdMs: 225_000 };
    const echoPath = { ...path({ profile: 'echo-grow' }), profileKind: 'echo' as const, intervalMs: 1000 };
    const echo = { sent: 12, returned: 10, largestSentBytes: 65_536, largestReturnedBytes: 16_384, lastSentBytes: 65_536, bunches: 2, bunchedMessages: 5, maxHoldMs: 950, minRttMs: 1.5 };
    const columns = { profile: canarySessions.profile, profileKind: canarySessions.profileKind, gapMs: canarySessions.gapMs, keepaliveMs: canarySessions.keepaliveMs, intervalMs: canarySessions.intervalMs, holdMs: canarySessions.holdMs, echo: canarySessions.echo };
    const stored = async (id: string) => (await database.db.select(columns).from(canarySessions).where(eq(canarySessions.id, id)))[0];

    it('stores the descriptor of every experiment profile, and echo from session.ended', async () => {
      await storeBatch(
        database.db,
        probeId,
        [
          opened('s-bisect01', { path: bisectPath }),
          ended('s-bisect01', 75_010, { path: bisectPath, endKind: 'probe_closed', closeCode: 1000, closeReason: 'bisect: survived 75s idle' }),
          opened('s-keepal01', { path: keepalivePath }),
          opened('s-holdhb01', { path: holdPath }),
          ended('s-echo0001', 60_000, { path: echoPath, echo }),
          opened('s-plain001'),
        ],
        NOW,
      );
      expect(await stored('s-bisect01')).toEqual({ profile: 'bisect', profileKind: 'bisect', gapMs: 75_000, keepaliveMs: null, intervalMs: null, holdMs: null, echo: null });
      expect(await stored('s-keepal01')).toEqual({ profile: 'keepalive-25s', profileKind: 'keepalive', gapMs: 112_500, keepaliveMs: 25_000, intervalMs: null, holdMs: null, echo: null });
      expect(await stored('s-holdhb01')).toEqual({ profile: 'verify-hb-30s', profileKind: 'heartbeat', gapMs: null, keepaliveMs: null, intervalMs: 30_000, holdMs: 225_000, echo: null });
      expect(await stored('s-echo0001')).toEqual({ profile: 'echo-grow', profileKind: 'echo', gapMs: null, keepaliveMs: null, intervalMs: 1000, holdMs: null, echo });
      // Events without the new fields (older agents) leave them null.
      expect(await stored('s-plain001')).toEqual({ profile: 'idle', profileKind: null, gapMs: null, keepaliveMs: null, intervalMs: null, holdMs: null, echo: null });
    });

    it.each([
      ['opened, then ended', ['open', 'end']],
      ['ended, then opened (a replay)', ['end', 'open']],
    ] as const)('ends with every value whichever event comes first, across batches: %s', async (_name, order) => {
      const events = { open: opened('s-echo-ord', { path: echoPath }), end: ended('s-echo-ord', 60_000, { path: echoPath, echo }) };
      for (const which of order) await storeBatch(database.db, probeId, [events[which]], NOW);
      expect(await stored('s-echo-ord')).toEqual({ profile: 'echo-grow', profileKind: 'echo', gapMs: null, keepaliveMs: null, intervalMs: 1000, holdMs: null, echo });
      const [row] = await database.db.select().from(canarySessions).where(eq(canarySessions.id, 's-echo-ord'));
      expect(row).toMatchObject({ outcome: 'opened', durationMs: 60_000, endKind: 'tcp_fin' });

      // In one batch, in both orders, too.
      const k = { open: opened('s-hold-ord', { path: holdPath }), end: ended('s-hold-ord', 225_000, { path: holdPath, endKind: 'probe_closed', closeReason: 'hold: held 225s with a 30s heartbeat' }) };
      await storeBatch(database.db, probeId, order.map((w) => k[w]), NOW);
      expect(await stored('s-hold-ord')).toMatchObject({ intervalMs: 30_000, holdMs: 225_000 });
    });
  });

  describe('the ledger without a foreign key (migration 0017)', () => {
    it('loses a deleted probe\'s ledger rows with it, as the cascade did', async () => {
      const other = (await addProbe(database.db, { name: `other-${++seq}`, labels: {} })).probe.id;
      await storeBatch(database.db, probeId, [opened('s-gone0001'), heartbeat({})], NOW);
      await storeBatch(database.db, other, [opened('s-stay0001')], NOW);
      await database.db.delete(probes).where(eq(probes.id, probeId));
      const left = await database.db.select({ probeId: ingestedEvents.probeId }).from(ingestedEvents);
      expect(left).toEqual([{ probeId: other }]);
    });

    it('refuses a batch for a probe deleted before it was stored, keeping nothing', async () => {
      await database.db.delete(probes).where(eq(probes.id, probeId));
      await expect(storeBatch(database.db, probeId, [opened('s-late0001')], NOW)).rejects.toMatchObject({ code: 'INGEST_ERR_PROBE_GONE' });
      const [e] = await database.db.select({ n: count() }).from(ingestedEvents);
      const [s] = await database.db.select({ n: count() }).from(canarySessions);
      expect([e!.n, s!.n]).toEqual([0, 0]);
    });
  });
});
