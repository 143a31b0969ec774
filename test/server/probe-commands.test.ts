/** The probe commands' schema and runner (server/probe-commands.ts), shared by the CLI and the admin socket. */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Database } from '../../db/client';
import { listAudit } from '../../db/queries/audit';
import { authenticateProbe } from '../../db/queries/probes';
import { probeCommandSchema, runProbeCommand } from '../../server/probe-commands';
import { backends } from '../helpers/databases';

describe('probeCommandSchema', () => {
  it('takes kind target for add, and a probe when kind is absent (a CLI older than target tokens)', () => {
    expect(probeCommandSchema.parse({ command: 'add', name: 'cdn-edge', labels: {}, kind: 'target' })).toMatchObject({ kind: 'target' });
    expect(probeCommandSchema.parse({ command: 'add', name: 'edge-1', labels: {} })).toMatchObject({ kind: 'probe' });
    expect(probeCommandSchema.safeParse({ command: 'add', name: 'edge-1', labels: {}, kind: 'robot' }).success).toBe(false);
  });
});

describe.each(backends().slice(0, 1))('runProbeCommand on $name', (backend) => {
  let database: Database;
  beforeAll(async () => {
    database = await backend.open();
  });
  afterAll(async () => database.close());

  it('adds a target whose token authenticates as one, and lists it with its kind', async () => {
    const added = await runProbeCommand(database, probeCommandSchema.parse({ command: 'add', name: 'cdn-edge', labels: {}, kind: 'target' }), new Date());
    if (added.command !== 'add') throw new Error('expected add');
    expect(added.probe).toMatchObject({ name: 'cdn-edge', kind: 'target' });
    expect(await authenticateProbe(database.db, added.token)).toMatchObject({ kind: 'target' });
    const list = await runProbeCommand(database, { command: 'list' }, new Date());
    expect(list.command === 'list' && list.probes.map((p) => [p.name, p.kind])).toEqual([['cdn-edge', 'target']]);
  });

  it('records adds and revokes in the audit log as the CLI, without the token', async () => {
    const added = await runProbeCommand(database, probeCommandSchema.parse({ command: 'add', name: 'edge-audit', labels: { region: 'eu' } }), new Date());
    await runProbeCommand(database, { command: 'revoke', name: 'edge-audit' }, new Date());
    const entries = (await listAudit(database.db, { limit: 10, subjectKind: 'probe' })).filter((e) => e.subjectId === String(added.command === 'add' && added.probe.id));
    expect(entries.map((e) => [e.action, e.actorKind, e.actorName])).toEqual([
      ['probe.revoke', 'cli', 'dropscope CLI'],
      ['probe.create', 'cli', 'dropscope CLI'],
    ]);
    expect(entries[1]!.after).toMatchObject({ name: 'edge-audit', labels: { region: 'eu' } });
    expect(JSON.stringify(entries)).not.toContain(added.command === 'add' ? added.token.slice(-16) : '?');
  });
});
