/**
 * Probe administration by id (db/queries/probe-admin.ts) on every backend: a token that
 * authenticates, a rotation after which only the new one does, revocation that keeps the
 * row and that a rotation undoes, labels, and names that are taken.
 */
import { eq } from 'drizzle-orm';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { Database } from '../../db/client';
import { createProbe, getProbeById, listProbesForAdmin, mintProbeToken, revokeProbeById, rotateProbeToken, setProbeLabels } from '../../db/queries/probe-admin';
import { authenticateProbe, ProbeExistsError } from '../../db/queries/probes';
import { probes } from '../../db/schema';
import { backends } from '../helpers/databases';

const TOKEN = /^dsp_([1-9][0-9]*)_([A-Za-z0-9_-]{43})$/;

describe.each(backends())('probe administration on $name', (backend) => {
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

  it('mints tokens in the probes\' format, naming the id', () => {
    const token = mintProbeToken(42);
    expect(token).toMatch(TOKEN);
    expect(TOKEN.exec(token)![1]).toBe('42');
    expect(mintProbeToken(42)).not.toBe(token);
  });

  it('creates a probe or a target whose token authenticates, and stores no token', async () => {
    const { probe, token } = await createProbe(database.db, { name: 'edge-1', labels: { region: 'eu' }, kind: 'probe' });
    expect(probe).toMatchObject({ name: 'edge-1', kind: 'probe', labels: { region: 'eu' }, revokedAt: null, lastSeenAt: null });
    expect(TOKEN.exec(token)![1]).toBe(String(probe.id));
    expect(await authenticateProbe(database.db, token)).toMatchObject({ id: probe.id, name: 'edge-1' });

    const target = await createProbe(database.db, { name: 'target-eu', labels: {}, kind: 'target' });
    expect(target.probe.kind).toBe('target');
    expect(await authenticateProbe(database.db, target.token)).toMatchObject({ id: target.probe.id });

    const [row] = await database.db.select().from(probes).where(eq(probes.id, probe.id));
    // The secret is everything after `dsp_<id>_` (base64url: it may itself hold or start with "_").
    const secret = TOKEN.exec(token)![2]!;
    expect(secret.length).toBeGreaterThan(20);
    expect(JSON.stringify(row)).not.toContain(secret);
    expect(await listProbesForAdmin(database.db)).toEqual([expect.objectContaining({ name: 'edge-1' }), expect.objectContaining({ name: 'target-eu' })]);
  });

  it('refuses a taken name, by a revoked probe too', async () => {
    const { probe } = await createProbe(database.db, { name: 'edge-1', labels: {}, kind: 'probe' });
    await expect(createProbe(database.db, { name: 'edge-1', labels: {}, kind: 'target' })).rejects.toBeInstanceOf(ProbeExistsError);
    await revokeProbeById(database.db, probe.id, new Date());
    await expect(createProbe(database.db, { name: 'edge-1', labels: {}, kind: 'probe' })).rejects.toMatchObject({ code: 'PROBE_ERR_EXISTS' });
  });

  it('rotates: the old token is refused at once, the new one works, a revoked probe comes back', async () => {
    const { probe, token: first } = await createProbe(database.db, { name: 'edge-1', labels: {}, kind: 'probe' });
    const rotated = (await rotateProbeToken(database.db, probe.id))!;
    expect(rotated.token).not.toBe(first);
    expect(await authenticateProbe(database.db, first)).toBeNull();
    expect(await authenticateProbe(database.db, rotated.token)).toMatchObject({ id: probe.id });

    const now = new Date('2026-12-01T10:00:00Z');
    const revoked = (await revokeProbeById(database.db, probe.id, now))!;
    expect(revoked).toMatchObject({ changed: true, probe: { revokedAt: now } });
    expect(await authenticateProbe(database.db, rotated.token)).toBeNull();
    // A second revoke changes nothing and keeps the first instant.
    expect(await revokeProbeById(database.db, probe.id, new Date('2026-12-02T10:00:00Z'))).toMatchObject({ changed: false, probe: { revokedAt: now } });

    const back = (await rotateProbeToken(database.db, probe.id))!;
    expect(back.probe.revokedAt).toBeNull();
    expect(await authenticateProbe(database.db, back.token)).toMatchObject({ id: probe.id });
    expect(await authenticateProbe(database.db, rotated.token)).toBeNull();
  });

  it('sets labels, and answers null for an unknown id', async () => {
    const { probe } = await createProbe(database.db, { name: 'edge-1', labels: { region: 'eu' }, kind: 'probe' });
    expect(await setProbeLabels(database.db, probe.id, { region: 'us', isp: 'x' })).toMatchObject({ labels: { region: 'us', isp: 'x' } });
    expect((await getProbeById(database.db, probe.id))!.labels).toEqual({ region: 'us', isp: 'x' });
    const missing = probe.id + 1000;
    expect(await getProbeById(database.db, missing)).toBeNull();
    expect(await setProbeLabels(database.db, missing, {})).toBeNull();
    expect(await rotateProbeToken(database.db, missing)).toBeNull();
    expect(await revokeProbeById(database.db, missing, new Date())).toBeNull();
  });
});
