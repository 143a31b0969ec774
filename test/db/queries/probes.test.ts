/** Probe registration and tokens by kind (db/queries/probes.ts), on every backend. */
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { Database } from '../../../db/client';
import { addProbe, authenticateProbe, issueProbeToken, listProbes, revokeProbe } from '../../../db/queries/probes';
import { probes } from '../../../db/schema';
import { backends } from '../../helpers/databases';

describe.each(backends())('probes on $name', (backend) => {
  let database: Database;

  beforeAll(async () => {
    database = await backend.open();
  });
  afterAll(async () => {
    await database.close();
  });
  beforeEach(async () => {
    await database.db.delete(probes);
  });

  it('registers a probe by default and a target when asked; the token authenticates as its kind', async () => {
    const probe = await addProbe(database.db, { name: 'edge-1', labels: { region: 'eu' } });
    const target = await addProbe(database.db, { name: 'behind-cdn', labels: {}, kind: 'target' });
    expect([probe.probe.kind, target.probe.kind]).toEqual(['probe', 'target']);
    expect(await authenticateProbe(database.db, probe.token)).toEqual({ id: probe.probe.id, name: 'edge-1', kind: 'probe' });
    expect(await authenticateProbe(database.db, target.token)).toEqual({ id: target.probe.id, name: 'behind-cdn', kind: 'target' });
    expect((await listProbes(database.db)).map((p) => [p.name, p.kind])).toEqual([
      ['behind-cdn', 'target'],
      ['edge-1', 'probe'],
    ]);
    await revokeProbe(database.db, 'behind-cdn', new Date());
    expect(await authenticateProbe(database.db, target.token)).toBeNull();
  });

  it('issues a new token with the kind asked for, registering the probe if need be', async () => {
    const first = await issueProbeToken(database.db, { name: 'demo', labels: {} });
    expect(first.probe.kind).toBe('probe');
    const again = await issueProbeToken(database.db, { name: 'demo', labels: {}, kind: 'target' });
    expect(again.probe).toMatchObject({ id: first.probe.id, kind: 'target' });
    expect(await authenticateProbe(database.db, first.token)).toBeNull();
    expect(await authenticateProbe(database.db, again.token)).toMatchObject({ kind: 'target' });
  });

  it('refuses a kind the schema does not know (probes_kind_check)', async () => {
    await expect(addProbe(database.db, { name: 'odd', labels: {}, kind: 'robot' as never })).rejects.toThrow();
    expect(await listProbes(database.db)).toEqual([]);
  });
});
