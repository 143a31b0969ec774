/**
 * Probe state against an injected `now`: online within 90 s of the last request, offline
 * after, never seen, revoked; and each probe's plan (issue 17): null before it fetched or
 * reported, then what it was served and when, and the paths it runs or could not.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { eq } from 'drizzle-orm';
import type { Database } from '../../db/client';
import { storeBatch } from '../../db/queries/ingest';
import { recordPlanFetch, savePlanStatus } from '../../db/queries/probe-plan';
import { addProbe, revokeProbe } from '../../db/queries/probes';
import { ONLINE_WITHIN_MS, probesStatus } from '../../db/queries/probes-status';
import { probes } from '../../db/schema';
import { probesReportSchema } from '../../lib/paths/schema';
import { backends } from '../helpers/databases';
import { planStatusSchema } from '../../lib/contracts/plan';
import { heartbeat, T0 } from '../helpers/events';

const NOW = new Date(T0.getTime() + 3_600_000);
const ago = (ms: number) => new Date(NOW.getTime() - ms);

/** What an agent posts: a local path, a server path running, one it could not run, and a plan it refused. */
const REPORT = {
  appliedVersion: '0123456789abcdef',
  rejected: { version: 'a1b2c3d4e5f60718', issues: [{ path: 'profiles.0.kind', message: 'expected idle, heartbeat, echo or ladder' }] },
  paths: [
    { source: 'local', target: 'builtin', proxy: 'direct', profile: 'idle', canaries: 1, open: 1, connecting: 0, backoff: 0, state: 'running' },
    { source: 'server', id: 4, target: 'app', proxy: 'direct', profile: 'heartbeat', canaries: 2, open: 1, connecting: 1, backoff: 0, state: 'running' },
    {
      source: 'server', id: 5, target: 'app', proxy: 'corp', profile: 'idle', canaries: 1, open: 0, connecting: 0, backoff: 0, state: 'unconfigured',
      reason: 'environment variable DROPSCOPE_PROXY_CORP_PASS is not set on this probe', field: 'proxies.0.url',
    },
  ],
};

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
    // a-online fetched its plan 12 s ago and reported on it; b-offline only fetched.
    await recordPlanFetch(database.db, a.id, ago(12_000), 'a1b2c3d4e5f60718', 7);
    await savePlanStatus(database.db, a.id, planStatusSchema.parse(REPORT), ago(11_000));
    await recordPlanFetch(database.db, b.id, ago(ONLINE_WITHIN_MS + 2000), '0000000000000001', 3);
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

  it('has no plan for a probe that never fetched nor reported', async () => {
    const list = await probesStatus(database.db, NOW);
    expect(list.find((p) => p.name === 'c-never')!.plan).toBeNull();
    expect(list.find((p) => p.name === 'd-revoked')!.plan).toBeNull();
  });

  it('gives each probe its plan: what it was served and when, what it runs and what it could not', async () => {
    const list = await probesStatus(database.db, NOW);
    expect(list.find((p) => p.name === 'a-online')!.plan).toEqual({
      version: 'a1b2c3d4e5f60718',
      revision: 7,
      fetchedAt: ago(12_000).toISOString(),
      fetchedForMs: 12_000,
      reportedAt: ago(11_000).toISOString(),
      appliedVersion: '0123456789abcdef',
      rejected: REPORT.rejected,
      paths: [
        { source: 'local', id: null, target: 'builtin', proxy: 'direct', profile: 'idle', canaries: 1, open: 1, connecting: 0, backoff: 0, state: 'running', reason: null, field: null },
        { source: 'server', id: 4, target: 'app', proxy: 'direct', profile: 'heartbeat', canaries: 2, open: 1, connecting: 1, backoff: 0, state: 'running', reason: null, field: null },
        {
          source: 'server', id: 5, target: 'app', proxy: 'corp', profile: 'idle', canaries: 1, open: 0, connecting: 0, backoff: 0, state: 'unconfigured',
          reason: 'environment variable DROPSCOPE_PROXY_CORP_PASS is not set on this probe', field: 'proxies.0.url',
        },
      ],
      truncated: false,
    });
    // Fetched but never reported: the version and the instant, no path yet.
    expect(list.find((p) => p.name === 'b-offline')!.plan).toEqual({
      version: '0000000000000001', revision: 3, fetchedAt: ago(ONLINE_WITHIN_MS + 2000).toISOString(), fetchedForMs: ONLINE_WITHIN_MS + 2000,
      reportedAt: null, appliedVersion: null, rejected: null, paths: [], truncated: false,
    });
  });

  it('answers what GET /api/v1/probes promises (the live page parses it with this schema)', async () => {
    const report = { now: NOW.toISOString(), onlineWithinMs: ONLINE_WITHIN_MS, probes: await probesStatus(database.db, NOW) };
    expect(probesReportSchema.parse(JSON.parse(JSON.stringify(report)))).toEqual(report);
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
    // Opens (and migrates) a database of its own inside the test: seconds on a loaded machine.
  }, 120_000);
});
