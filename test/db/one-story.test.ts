/**
 * Issue 19, "one story per page", on the database: the browser test's scene
 * (test/browser/one-story.test.ts) through the real reports. A 20 s idle cut through one
 * proxy, seen by its canaries' signature and by the ladder on the same path: the analysis
 * report gives one fix, and the ladder finding points to the signature; the path page's
 * summary divides its drops by the time with data and takes its median life from the drops.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Database } from '../../db/client';
import { analysisReport } from '../../db/queries/analysis-report';
import { storeBatch } from '../../db/queries/ingest';
import { pathDetail } from '../../db/queries/path-detail';
import { addProbe } from '../../db/queries/probes';
import { BUILTIN_LAYERS } from '../../lib/analysis/catalogue';
import type { IngestEvent } from '../../lib/contracts/ingest';
import { MEDIAN_LIFETIME_RELATIVE_ERROR } from '../../lib/rollups/lifetime-bins';
import { backends } from '../helpers/databases';
import { ended, opened, path, T0 } from '../helpers/events';

const MIN = 60_000;
const NOW = new Date(T0.getTime() + 20 * MIN);

function scene(): IngestEvent[] {
  const events: IngestEvent[] = [];
  const idle = path({ proxy: 'story-squid', kind: 'http' });
  const rung = (gapMs: number) => ({ ...idle, profile: `ladder/${gapMs / 1000}s`, profileKind: 'ladder' as const, gapMs });
  for (let i = 0; i < 12; i++) {
    const base = new Date(T0.getTime() + i * MIN);
    events.push(opened(`st-${i}-aaaaaa`, { path: idle }, base));
    events.push(ended(`st-${i}-aaaaaa`, 20_000 + (i < 8 ? 0 : [40, 90, 150, 190][i - 8]!), { path: idle }, base));
  }
  for (let i = 0; i < 4; i++) {
    const base = new Date(T0.getTime() + 5 * MIN + i * MIN);
    events.push(opened(`l10-${i}-aaaaa`, { path: rung(10_000) }, base));
    events.push(ended(`l10-${i}-aaaaa`, 10_020, { path: rung(10_000), endKind: 'probe_closed', closeCode: 1000, closeReason: 'ladder: survived 10s idle' }, base));
    events.push(opened(`l30-${i}-aaaaa`, { path: rung(30_000) }, base));
    events.push(ended(`l30-${i}-aaaaa`, 20_000, { path: rung(30_000) }, base));
  }
  return events;
}

describe.each(backends())('one story per page on $name', (backend) => {
  let database: Database;
  beforeAll(async () => {
    database = await backend.open();
    const { probe } = await addProbe(database.db, { name: 'edge-story-1', labels: {} });
    await storeBatch(database.db, probe.id, scene(), NOW);
  });
  afterAll(() => database.close());

  it('the analysis gives one fix for the 20 s layer, and the ladder points to the signature', async () => {
    const r = await analysisReport(database.db, { from: new Date(NOW.getTime() - 60 * MIN), to: NOW, proxy: 'story-squid' }, { now: NOW, layers: BUILTIN_LAYERS, concurrent: backend.name === 'postgres' });
    const sig = r.signatures.find((s) => s.nSeconds === 20)!;
    expect(sig).toBeDefined();
    expect(sig.fix).toEqual({ kind: 'heartbeat', intervalMs: 10_000 });
    const ladder = r.findings.filter((f) => f.kind === 'ladder');
    expect(ladder).toHaveLength(1);
    expect(ladder[0]).toMatchObject({ signature: sig.key, fix: sig.fix });
    expect(ladder[0]!.recommendation).toMatch(/^See the 20\.0 s signature: send a WebSocket ping at least every 10 s on this path/);
    // Every heartbeat on the report is the one fix.
    for (const f of r.findings) if (f.fix) expect(f.fix).toEqual(sig.fix);
    // The 190 ms spread is no "±0".
    expect(sig.maxMs - sig.minMs).toBe(190);
    expect(sig.spreadMs).toBeGreaterThan(0);
  });

  it('the path page: drops per hour of data, and the median life of the drops', async () => {
    const d = await pathDetail(database.db, { target: 'canary', proxy: 'story-squid' }, { from: new Date(NOW.getTime() - 24 * 60 * MIN), to: NOW }, NOW, { layers: BUILTIN_LAYERS });
    const s = d.summary!;
    expect(s).toMatchObject({ drops: 16, probeClosed: 4 });
    // From the first attempt (T0) to the last end (the 12th canary's: 11 min + 5 ms + 20.19 s).
    expect(s.dataMs).toBe(11 * MIN + 5 + 20_190);
    expect(s.dropsPerHour).toBeCloseTo((16 * 3_600_000) / s.dataMs);
    expect(Math.abs(s.medianDropLifetimeMs! - 20_000)).toBeLessThanOrEqual(20_000 * MEDIAN_LIFETIME_RELATIVE_ERROR);
    // The all-endings median is pulled down by the probe's 10 s closes; the drops' is not.
    expect(s.medianDropLifetimeMs!).toBeGreaterThanOrEqual(s.medianLifetimeMs!);
  });

  it('the path page\'s ladder finding gives the analysis\' fix for the same scope, and points to the same signature', async () => {
    const scope = { from: new Date(NOW.getTime() - 60 * MIN), to: NOW };
    const r = await analysisReport(database.db, { ...scope, target: 'canary', proxy: 'story-squid' }, { now: NOW, layers: BUILTIN_LAYERS, concurrent: backend.name === 'postgres' });
    const d = await pathDetail(database.db, { target: 'canary', proxy: 'story-squid' }, scope, NOW, { layers: BUILTIN_LAYERS });
    const [analysed] = r.findings.filter((f) => f.kind === 'ladder');
    const [shown] = d.ladder.findings;
    expect(d.ladder.findings).toHaveLength(1);
    expect(shown!.fix).toEqual({ kind: 'heartbeat', intervalMs: 10_000 });
    expect(shown).toMatchObject({ fix: analysed!.fix, signature: analysed!.signature, recommendation: analysed!.recommendation });
  });
});
