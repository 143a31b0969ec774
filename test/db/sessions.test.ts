import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Database } from '../../db/client';
import { storeBatch, storeTargetViews } from '../../db/queries/ingest';
import { addProbe } from '../../db/queries/probes';
import { getSession, listSessions } from '../../db/queries/sessions';
import { sessionListQuerySchema } from '../../lib/contracts/session-query';
import { backends } from '../helpers/databases';
import { ended, failed, iso, opened, path, T0 } from '../helpers/events';

describe.each(backends())('session queries on $name', (backend) => {
  let database: Database;
  const q = (raw: Record<string, string>) => listSessions(database.db, sessionListQuerySchema.parse(raw));

  beforeAll(async () => {
    database = await backend.open();
    const a = await addProbe(database.db, { name: 'edge-a', labels: {} });
    const b = await addProbe(database.db, { name: 'edge-b', labels: {} });
    const squid = path({ proxy: 'squid', kind: 'http' });
    await storeBatch(database.db, a.probe.id, [
      opened('s-list0001'), ended('s-list0001', 60_000),
      opened('s-list0002', { path: squid, attemptedAt: iso(1000) }, T0), ended('s-list0002', 15_000, { path: squid, attemptedAt: iso(1000), endKind: 'tcp_reset' }),
      failed('s-list0003', { attemptedAt: iso(2000) }),
    ], new Date());
    await storeBatch(database.db, b.probe.id, [opened('s-list0004', { attemptedAt: iso(3000) })], new Date());
    await storeTargetViews(database.db, null, [{
      sessionId: 's-list0001', target: 'builtin', peerAddress: '127.0.0.1', openedAt: iso(5), endedAt: iso(60_005), durationMs: 60_000.4,
      closeFrameReceived: false, endKind: 'tcp_fin', sinceLastRecvMs: 60_000, sinceLastSentMs: 60_000, messagesIn: 0, messagesOut: 0,
    }]);
  });
  afterAll(() => database.close());

  it('lists newest attempt first, with each filter', async () => {
    expect((await q({})).map((s) => s.id)).toEqual(['s-list0004', 's-list0003', 's-list0002', 's-list0001']);
    expect((await q({ probe: 'edge-b' })).map((s) => s.id)).toEqual(['s-list0004']);
    expect((await q({ proxy: 'squid' })).map((s) => s.id)).toEqual(['s-list0002']);
    expect((await q({ endKind: 'tcp_reset' })).map((s) => s.id)).toEqual(['s-list0002']);
    expect((await q({ outcome: 'upgrade_refused' })).map((s) => s.id)).toEqual(['s-list0003']);
    expect((await q({ from: iso(1000), to: iso(3000) })).map((s) => s.id)).toEqual(['s-list0003', 's-list0002']);
    expect((await q({ limit: '2' })).map((s) => s.id)).toEqual(['s-list0004', 's-list0003']);
    expect((await q({})).find((s) => s.id === 's-list0004')).toMatchObject({ live: true, probeName: 'edge-b' });
  });

  it('returns the target\'s view beside the probe\'s', async () => {
    expect(await getSession(database.db, 's-list0001')).toMatchObject({
      durationMs: 60_000,
      targetView: { targetName: 'builtin', durationMs: 60_000.4, closeFrameReceived: false, endKind: 'tcp_fin', reporterId: null },
    });
    expect((await getSession(database.db, 's-list0002'))!.targetView).toBeNull();
  });

  it('refuses bad filters, naming them', () => {
    const r = sessionListQuerySchema.safeParse({ limit: '5000', endKind: 'bored', extra: '1' });
    expect(r.success).toBe(false);
    expect(r.error!.issues.map((i) => i.path.join('.') || i.message).sort()).toEqual(expect.arrayContaining(['limit', 'endKind']));
  });
});
