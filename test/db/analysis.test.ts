/**
 * The SQL-backed analysis must reach the same conclusions as the in-memory one on the
 * same sessions, on every backend.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Database } from '../../db/client';
import { analyzeScope } from '../../db/queries/analysis';
import { storeBatch } from '../../db/queries/ingest';
import { addProbe } from '../../db/queries/probes';
import { analyzeSessions, binsOf, type SessionSample } from '../../lib/analysis/analyze';
import { BUILTIN_LAYERS } from '../../lib/analysis/catalogue';
import type { IngestEvent } from '../../lib/contracts/ingest';
import { backends } from '../helpers/databases';
import { mixture, PLANTS } from '../lib/analysis/synthetic';
import { sampleEvents } from '../helpers/sample-events';

const BASE = Date.parse('2026-11-20T00:00:00Z');
const NOW = new Date(BASE + 2 * 86_400_000);

const eventsOf = (s: SessionSample, i: number): IngestEvent[] => sampleEvents(s, i, { base: BASE });

describe.each(backends())('SQL analysis on $name', (backend) => {
  let database: Database;
  // The proxy that cuts at 100 s names itself in its CONNECT reply: stored, read back, named.
  const sessions = mixture(PLANTS, { seed: 42, perPath: 12, background: 200, jitterMs: 50 }).map((s) => (s.proxy === 'mobile-de' ? { ...s, proxyHeaders: { 'proxy-agent': 'tinyproxy/1.11.1' } } : s));

  beforeAll(async () => {
    database = await backend.open();
    const ids = new Map<string, number>();
    for (const name of ['edge-fra-1', 'edge-nyc-1']) ids.set(name, (await addProbe(database.db, { name, labels: { region: name.includes('fra') ? 'eu' : 'us' } })).probe.id);
    for (const probe of ids.keys()) {
      const events = sessions.flatMap((s, i) => (s.probe === probe ? eventsOf(s, i) : []));
      for (let i = 0; i < events.length; i += 2000) await storeBatch(database.db, ids.get(probe)!, events.slice(i, i + 2000), NOW);
    }
  }, 120_000);
  afterAll(() => database.close());

  it('finds the planted signatures with the same verdicts as the in-memory analysis', async () => {
    const memory = analyzeSessions(sessions);
    const sql = await analyzeScope(database.db, { from: new Date(BASE), to: NOW }, { now: NOW, layers: BUILTIN_LAYERS });
    expect(sql.totalDrops).toBe(memory.totalDrops);
    const shape = (a: typeof memory.signatures) => a.map((s) => ({ key: s.key, count: s.count, kind: s.kind, scope: s.location.scope, value: s.location.value, top: s.candidates[0]?.layerId ?? null, software: s.software?.name ?? null }));
    expect(shape(sql.signatures)).toEqual(shape(memory.signatures));
    expect(sql.signatures.find((s) => s.location.value === 'mobile-de')?.software).toMatchObject({ name: 'tinyproxy', side: 'proxy', shownBy: { source: 'proxy-reply' } });
    expect(sql.signatures.map((s) => s.nSeconds).sort((a, b) => a - b)).toEqual([55, 60, 100, 350]);
  });

  it('reads the same members of rare windows in one pass as by walking the endings back', async () => {
    for (const scope of [{ from: new Date(BASE), to: NOW }, { from: new Date(BASE), to: NOW, proxy: 'mobile-de' }]) {
      const onePass = await analyzeScope(database.db, scope, { now: NOW, layers: BUILTIN_LAYERS, rareWindowDrops: Number.MAX_SAFE_INTEGER });
      const walked = await analyzeScope(database.db, scope, { now: NOW, layers: BUILTIN_LAYERS, rareWindowDrops: 0 });
      expect(onePass.signatures.length).toBeGreaterThan(0);
      expect(onePass).toEqual(walked);
    }
  });

  it('takes the 100 ms bins from a caller that has read them, and reads none of its own then', async () => {
    const scope = { from: new Date(BASE), to: NOW };
    const own = await analyzeScope(database.db, scope, { now: NOW, layers: BUILTIN_LAYERS });
    const drops = sessions.filter((s) => s.dropped);
    const bins = { age: binsOf(drops.flatMap((d) => (d.ageMs === null ? [] : [d.ageMs]))), idle: binsOf(drops.flatMap((d) => (d.idleMs === null ? [] : [d.idleMs]))) };
    expect(await analyzeScope(database.db, scope, { now: NOW, layers: BUILTIN_LAYERS, bins })).toEqual(own);
    // Empty bins find nothing although the sessions are there: the analysis used what it was given.
    expect(await analyzeScope(database.db, scope, { now: NOW, layers: BUILTIN_LAYERS, bins: { age: [], idle: [] } })).toMatchObject({ totalDrops: 0, signatures: [] });
  });

  it('narrows to a proxy, and finds nothing outside the time range', async () => {
    const mobile = await analyzeScope(database.db, { from: new Date(BASE), to: NOW, proxy: 'mobile-de' }, { now: NOW, layers: BUILTIN_LAYERS });
    expect(mobile.signatures.map((s) => s.nSeconds)).toEqual([100]);
    const before = await analyzeScope(database.db, { from: new Date(BASE - 86_400_000), to: new Date(BASE) }, { now: NOW, layers: BUILTIN_LAYERS });
    expect(before).toMatchObject({ totalDrops: 0, signatures: [] });
  });
});
