/** Probe state against an injected `now`: online within 90 s of the last request, offline after, never seen, revoked. */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { eq } from 'drizzle-orm';
import type { Database } from '../../db/client';
import { storeBatch } from '../../db/queries/ingest';
import { addProbe, revokeProbe } from '../../db/queries/probes';
import { ONLINE_WITHIN_MS, probesStatus } from '../../db/queries/probes-status';
import { probes } from '../../db/schema';
import { backends } from '../helpers/databases';
import { heartbeat, T0 } from '../helpers/events';

const NOW = new Date(T0.getTime() + 3_600_000);
const ago = (ms: number) => new Date(NOW.getTime() - ms);

describe.each(backends())('probe status on $name', (backend) => {
  let database: Database;
  beforeAll(async () => {
    database = await backend.open();
    const { probe: a } = await addProbe(database.db, { name: 'a-online', labels: { region: 'eu' } });
    const { probe: b } = await addProbe(database.db, { name: 'b-offline', labels: {} });
    await addProbe(database.db, { name: 'c-never', labels: {} });
    const { probe: d } = await addProbe(database.db, { name: 'd-revoked', labels: {} });
    const { probe: e } = await addProbe(database.db, { name: 'e-edge', labels: {} });
    await storeBatch(database.db, a.id, [heartbeat({ agentVersion: '1.2.3', canaries: { open: 5, connecting: 1, backoff: 2 }, spoolDepth: 7 }, ago(30_000))], ago(30_000));
    await storeBatch(database.db, b.id, [heartbeat({}, ago(ONLINE_WITHIN_MS + 1000))], ago(ONLINE_WITHIN_MS + 1000));
    await storeBatch(database.db, d.id, [heartbeat({}, ago(1000))], ago(1000));
    await revokeProbe(database.db, 'd-revoked', ago(500));
    await database.db.update(probes).set({ lastSeenAt: ago(ONLINE_WITHIN_MS) }).where(eq(probes.id, e.id));
  });
  afterAll(() => database.close());

  it('says which probes are online, with their heartbeat state', async () => {
    const list = await probesStatus(database.db, NOW);
    expect(list.map((p) => [p.name, p.state, p.online])).toEqual([
      ['a-online', 'online', true],
      ['b-offline', 'offline', false],
      ['c-never', 'never-seen', false],
      ['d-revoked', 'revoked', false],
      ['e-edge', 'online', true],
    ]);
    expect(list[0]).toMatchObject({
      labels: { region: 'eu' }, agentVersion: '1.2.3', spoolDepth: 7, silentForMs: 30_000,
      canaries: { open: 5, connecting: 1, backoff: 2 }, lastSeenAt: ago(30_000).toISOString(), revokedAt: null,
    });
    expect(list[2]).toMatchObject({ lastSeenAt: null, silentForMs: null, agentVersion: null });
    expect(list[3]!.revokedAt).toBe(ago(500).toISOString());
  });

  it('filters by name and label', async () => {
    expect((await probesStatus(database.db, NOW, { label: { key: 'region', value: 'eu' } })).map((p) => p.name)).toEqual(['a-online']);
    expect((await probesStatus(database.db, NOW, { probe: 'c-never' })).map((p) => p.name)).toEqual(['c-never']);
  });

  it('is empty without probes', async () => {
    const empty = await backend.open();
    try {
      expect(await probesStatus(empty.db, NOW)).toEqual([]);
    } finally {
      await empty.close();
    }
  });
});
