/**
 * A silent probe's canaries (issue 19) on every backend: open canaries of a probe not heard
 * from for three heartbeats read "unknown (probe silent)", apart from the live ones; when it
 * comes back without them (a heartbeat listing its open sessions leaves them out) they are
 * closed as lost — no drop, no duration, no histogram — and a revoked probe's are closed at
 * revocation. A real end arriving afterwards replaces the estimate. Time is injected.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { eq } from 'drizzle-orm';
import type { Database } from '../../db/client';
import { dropsReport } from '../../db/queries/drops';
import { durationHistogram } from '../../db/queries/duration-bins';
import { storeBatch } from '../../db/queries/ingest';
import { closeLostSessions } from '../../db/queries/ingest-lost';
import { overview } from '../../db/queries/overview';
import { openCanaries, openCanariesByPath, PROBE_SILENT_AFTER_MS, probeSilentSessions } from '../../db/queries/probe-silence';
import { addProbe, revokeProbe } from '../../db/queries/probes';
import { canarySessions } from '../../db/schema';
import { BUILTIN_LAYERS } from '../../lib/analysis/catalogue';
import { ingestBatchSchema, type IngestEvent } from '../../lib/contracts/ingest';
import { backends } from '../helpers/databases';
import { ended, heartbeat, iso, opened, path, rtt, T0 } from '../helpers/events';

const MIN = 60_000;
const at = (ms: number) => new Date(T0.getTime() + ms);
/** A heartbeat listing the probe's open sessions (the field the agent adds: see the report). */
const listing = (ms: number, openSessions: string[]): IngestEvent => ({ ...heartbeat({ at: iso(ms) }), openSessions }) as IngestEvent;

describe.each(backends())('silent probes\' canaries on $name', (backend) => {
  let database: Database;
  let quiet: number;
  let chatty: number;

  beforeEach(async () => {
    database = await backend.open();
    quiet = (await addProbe(database.db, { name: 'edge-quiet', labels: {} })).probe.id;
    chatty = (await addProbe(database.db, { name: 'edge-chatty', labels: {} })).probe.id;
    const squid = path({ proxy: 'squid', kind: 'http' });
    // Both probes open canaries at T0 and are heard from at T0 + 1 min.
    await storeBatch(database.db, quiet, [opened('quiet-001', { path: squid }), opened('quiet-002', { path: squid }), heartbeat({ at: iso(MIN) })], at(MIN));
    await storeBatch(database.db, chatty, [opened('chat-0001', { path: squid }), heartbeat({ at: iso(MIN) })], at(MIN));
    // The chatty one again ten minutes later; the quiet one falls silent.
    await storeBatch(database.db, chatty, [heartbeat({ at: iso(10 * MIN) })], at(10 * MIN));
  });
  afterEach(() => database.close());

  const row = async (id: string) => (await database.db.select().from(canarySessions).where(eq(canarySessions.id, id)))[0]!;

  it('counts a silent probe\'s open canaries apart from the live ones, from three heartbeats on', async () => {
    const justBefore = at(MIN + PROBE_SILENT_AFTER_MS - 1);
    expect(await openCanaries(database.db, justBefore)).toEqual({ live: 3, silent: 0 });
    const now = at(10 * MIN);
    expect(await openCanaries(database.db, now)).toEqual({ live: 1, silent: 2 });
    expect(await openCanaries(database.db, now, { probe: 'edge-quiet' })).toEqual({ live: 0, silent: 2 });
    expect(await openCanariesByPath(database.db, now)).toEqual([
      { target: 'canary', proxy: 'squid', probe: 'edge-chatty', live: 1, silent: 0 },
      { target: 'canary', proxy: 'squid', probe: 'edge-quiet', live: 0, silent: 2 },
    ]);
    expect([...(await probeSilentSessions(database.db, ['quiet-001', 'quiet-002', 'chat-0001', 'nosuch-01'], now))].sort()).toEqual(['quiet-001', 'quiet-002']);
    expect((await probeSilentSessions(database.db, ['quiet-001'], justBefore)).size).toBe(0);
    expect((await probeSilentSessions(database.db, [], now)).size).toBe(0);
  });

  it('closes as lost the canaries a returning probe no longer holds, dated by when it was last heard from', async () => {
    const back = at(30 * MIN);
    // Back: it holds quiet-002 and a canary opened after the heartbeat was written; not quiet-001.
    await storeBatch(database.db, quiet, [listing(30 * MIN, ['quiet-002']), opened('quiet-003', { attemptedAt: iso(30 * MIN + 1000) }, at(30 * MIN + 1000))], back);
    const lost = await row('quiet-001');
    expect(lost.lostAt).toEqual(back);
    expect(lost.endedAt).toEqual(at(MIN));
    expect(lost.endKind).toBeNull();
    expect(lost.durationMs).toBeNull();
    expect((await row('quiet-002')).endedAt).toBeNull();
    expect((await row('quiet-003')).endedAt).toBeNull();
    // quiet-002 and quiet-003 live again; the other probe, unheard since 10 min, is silent now.
    expect(await openCanaries(database.db, back)).toEqual({ live: 2, silent: 1 });
    // The other probe's canary is never touched by this probe's list.
    expect((await row('chat-0001')).endedAt).toBeNull();
  });

  it('never counts a lost canary as a drop, an ending or a duration', async () => {
    await storeBatch(database.db, quiet, [listing(30 * MIN, [])], at(30 * MIN));
    expect((await row('quiet-001')).lostAt).not.toBeNull();
    const scope = { from: T0, to: at(60 * MIN) };
    const report = await dropsReport(database.db, scope, { bin: 'auto', scale: 'linear' }, { now: at(60 * MIN), layers: BUILTIN_LAYERS });
    expect(report.totalDrops).toBe(0);
    expect(report.endKinds).toEqual([]);
    expect(await durationHistogram(database.db, T0, at(60 * MIN))).toEqual({ binWidthMs: 0, bins: [] });
    // At 10 min the other probe was just heard from: its one canary is live, the lost ones are not.
    const o = await overview(database.db, { now: at(10 * MIN), windowMs: 60 * MIN });
    expect(o.liveCanaries).toBe(1);
    expect(o.dropsLastHour).toBe(0);
    expect(o.recentEvents.filter((e) => e.type === 'session.ended')).toEqual([]);
  });

  it('lets a real end reported afterwards replace the estimate', async () => {
    await storeBatch(database.db, quiet, [listing(30 * MIN, ['quiet-002'])], at(30 * MIN));
    expect((await row('quiet-001')).lostAt).not.toBeNull();
    // Samples of its life are no longer bounded by the estimate, and its end arrives.
    await storeBatch(database.db, quiet, [rtt('quiet-001', [20, 21, 22], {}, at(2 * MIN)), ended('quiet-001', 5 * MIN, { endKind: 'tcp_reset' })], at(31 * MIN));
    const r = await row('quiet-001');
    expect(r.lostAt).toBeNull();
    expect(r.endKind).toBe('tcp_reset');
    expect(r.endedAt).toEqual(at(5 + 5 * MIN));
    expect(r.durationMs).toBe(5 * MIN);
  });

  it('closes nothing without a list (an older agent), nor sessions opened after the heartbeat', async () => {
    await storeBatch(database.db, quiet, [heartbeat({ at: iso(30 * MIN) })], at(30 * MIN));
    expect((await row('quiet-001')).endedAt).toBeNull();
    const closed = await closeLostSessions(database.db, quiet, { at: T0, openSessions: [] }, { lastHeard: null, now: at(30 * MIN) });
    // Opened 5 ms after T0: after the heartbeat's instant.
    expect(closed).toEqual([]);
  });

  it('closes a revoked probe\'s open canaries as lost at revocation', async () => {
    const now = at(20 * MIN);
    await revokeProbe(database.db, 'edge-quiet', now);
    for (const id of ['quiet-001', 'quiet-002']) {
      const r = await row(id);
      expect(r.lostAt).toEqual(now);
      expect(r.endedAt).toEqual(at(MIN));
      expect(r.endKind).toBeNull();
    }
    expect((await row('chat-0001')).endedAt).toBeNull();
    // Revoking again changes nothing.
    await revokeProbe(database.db, 'edge-quiet', at(25 * MIN));
    expect((await row('quiet-001')).lostAt).toEqual(now);
  });
});

describe('the ingest contract', () => {
  it('lets no probe send a lost ending', () => {
    const lostKind = { ...ended('s-contract1', 1000), endKind: 'lost' };
    expect(ingestBatchSchema.safeParse({ events: [lostKind] }).success).toBe(false);
    const lostAt = { ...ended('s-contract1', 1000), lostAt: iso(1000) };
    expect(ingestBatchSchema.safeParse({ events: [lostAt] }).success).toBe(false);
  });
});
