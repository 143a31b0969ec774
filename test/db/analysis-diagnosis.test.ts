/**
 * analysisReport with experiments, on every backend: the experiment sessions and chains
 * it reads beside the analysis become its `diagnosis`, its findings and the signatures'
 * verification and chain position.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bisectRungs, heldHeartbeats, keepaliveRungs } from '../../bench/attribution/experiment-blocks';
import { rng } from '../../bench/attribution/rng';
import type { Database } from '../../db/client';
import { analysisReport } from '../../db/queries/analysis-report';
import { storeBatch } from '../../db/queries/ingest';
import { addProbe } from '../../db/queries/probes';
import { planChains } from '../../db/schema';
import { BUILTIN_LAYERS } from '../../lib/analysis/catalogue';
import type { IngestEvent, PathDescriptor } from '../../lib/contracts/ingest';
import type { ExperimentSession } from '../../lib/diagnosis/types';
import { backends } from '../helpers/databases';
import { ended, opened, path } from '../helpers/events';

const FROM = new Date('2026-12-01T10:00:00.000Z');
const NOW = new Date('2026-12-01T16:00:00.000Z');
let seq = 0;

function descriptor(x: ExperimentSession): PathDescriptor {
  return {
    ...path({ target: x.target, profile: x.profile }),
    profileKind: x.profileKind!,
    ...(x.gapMs !== null && { gapMs: x.gapMs }),
    ...(x.keepaliveMs !== null && { keepaliveMs: x.keepaliveMs }),
    ...(x.intervalMs !== null && { intervalMs: x.intervalMs }),
    ...(x.holdMs !== null && { holdMs: x.holdMs }),
  };
}

function events(x: ExperimentSession): IngestEvent[] {
  const id = `x-${++seq}-aaaaaa`;
  const p = descriptor(x);
  const base = new Date(x.attemptedAt);
  return [opened(id, { path: p }, base), ended(id, x.durationMs!, { path: p, endKind: x.endKind!, closeCode: x.closeCode!, ...(x.closeReason && { closeReason: x.closeReason }) }, base)];
}

describe.each(backends())('analysisReport with experiments on $name', (backend) => {
  let database: Database;
  beforeAll(async () => {
    database = await backend.open();
    const probe = (await addProbe(database.db, { name: 'edge-1', labels: {} })).probe.id;
    const app = { probe: 'edge-1', target: 'app', proxy: 'direct' };
    const t = FROM.getTime() + 60_000;
    const batch: IngestEvent[] = [];
    // nginx's 60 s cut in front of app: idle canaries die, heartbeats outlive it; the app's own entry point is clean.
    for (let i = 0; i < 12; i++) {
      const base = new Date(t + i * 120_000);
      batch.push(opened(`i-${i}-aaaaaa`, { path: path({ target: 'app' }) }, base), ended(`i-${i}-aaaaaa`, 60_000 + i, { path: path({ target: 'app' }), endKind: 'tcp_fin' }, base));
      const hb = { ...path({ target: 'app', profile: 'heartbeat' }), profileKind: 'heartbeat' as const };
      batch.push(opened(`h-${i}-aaaaaa`, { path: hb }, base), ended(`h-${i}-aaaaaa`, 600_000, { path: hb, endKind: 'probe_closed', closeCode: 1000 }, base));
      const inner = path({ target: 'app-inner' });
      batch.push(opened(`n-${i}-aaaaaa`, { path: inner }, base), ended(`n-${i}-aaaaaa`, 600_000, { path: inner, endKind: 'probe_closed', closeCode: 1000 }, base));
    }
    const rungs = bisectRungs(app, () => 60_002, { startAt: t, rounds: 8, r: rng(1) });
    const keepalive = keepaliveRungs(app, 1, { startAt: t + 3_600_000, gapMs: 90_000, keepaliveMs: 20_000, cutMs: 60_001, layer: 'l7', r: rng(2) });
    const held = heldHeartbeats(app, 2, { startAt: t + 7_200_000, intervalMs: 30_000, holdMs: 180_000, r: rng(3) });
    for (const x of [...rungs, ...keepalive, ...held]) batch.push(...events(x));
    await storeBatch(database.db, probe, batch, NOW);
    await database.db.insert(planChains).values({ name: 'shop', hops: ['app', 'app-inner'] });
  }, 120_000);
  afterAll(() => database.close());

  it('carries the diagnosis, its findings, and the verification and chain on the signature', async () => {
    const r = await analysisReport(database.db, { from: FROM, to: NOW }, { now: NOW, layers: BUILTIN_LAYERS });
    expect(r.diagnosis.brackets).toEqual([expect.objectContaining({ target: 'app', state: 'converged' })]);
    expect(r.diagnosis.brackets[0]!.lowMs!).toBeLessThan(60_002);
    expect(r.diagnosis.brackets[0]!.highMs!).toBeGreaterThanOrEqual(60_002);
    expect(r.diagnosis.transports).toEqual([expect.objectContaining({ layer: 'l7' })]);
    const sig = r.signatures.find((s) => Math.abs(s.nMs - 60_000) < 500)!;
    expect(sig.verification).toMatchObject({ status: 'verified' });
    expect(sig.chain).toMatchObject({ cutAt: 'app', nextInward: 'app-inner' });
    expect(sig.verdict).toMatch(/Verified: a 30 s heartbeat survived 3 × N .* The 60\.0 s cut happens between app and app-inner: app's timeout\.$/);
    expect(r.findings.filter((f) => ['bisect', 'transport'].includes(f.kind)).map((f) => `${f.kind}/${f.cause}`)).toEqual(['bisect/converged', 'transport/l7']);
    expect(await analysisReport(database.db, { from: FROM, to: NOW }, { now: NOW, layers: BUILTIN_LAYERS, concurrent: true })).toEqual(r);
  });
});
