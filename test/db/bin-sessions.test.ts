/**
 * Drill-down from a histogram bar (issue 19) on every backend: the sessions of one bar in
 * the scope, paged, and the histograms an outlier no longer squashes (the overview's from
 * its aggregate and its rows alike, the drops page's automatic width).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Database } from '../../db/client';
import { dropsReport } from '../../db/queries/drops';
import { durationHistogram } from '../../db/queries/duration-bins';
import { storeBatch } from '../../db/queries/ingest';
import { addProbe } from '../../db/queries/probes';
import { sealReportBins } from '../../db/queries/report-bins';
import { listBinSessions, type BinSessionsParams } from '../../db/queries/sessions';
import { BUILTIN_LAYERS } from '../../lib/analysis/catalogue';
import type { IngestEvent } from '../../lib/contracts/ingest';
import type { DashboardScope } from '../../lib/dashboard/scope';
import { binSessionsAnswerSchema } from '../../lib/drops/bin-sessions';
import { clipBins } from '../../lib/overview/histogram-bins';
import { backends } from '../helpers/databases';
import { ended, opened, path } from '../helpers/events';

const BASE = new Date('2026-11-20T00:00:00Z');
const NOW = new Date(BASE.getTime() + 6 * 3_600_000);
const at = (min: number) => new Date(BASE.getTime() + min * 60_000);
const SCOPE: DashboardScope = { from: BASE, to: NOW };
const squid = path({ proxy: 'squid', kind: 'http' });
const direct = path();

function fleet(): IngestEvent[] {
  const out: IngestEvent[] = [];
  // 53 drops at 20 s through squid, a minute apart, and one 9.7-minute outlier.
  for (let i = 0; i < 53; i++) out.push(opened(`cut-${i}`, { path: squid }, at(10 + i)), ended(`cut-${i}`, 19_900 + i * 4, { path: squid }, at(10 + i)));
  out.push(ended('outlier-1', 582_000, { path: squid }, at(100)));
  // Closed by the probe at 20 s: ended, not a drop.
  for (let i = 0; i < 3; i++) out.push(ended(`pc-${i}`, 20_000, { path: squid, endKind: 'probe_closed', closeCode: 1000 }, at(120 + i)));
  // A silent death after 45 s, the last 25 s without a byte: age 20 s, duration 45 s.
  out.push(ended('pt-1', 45_000, { path: squid, endKind: 'pong_timeout', closeCode: undefined, sinceLastRecvMs: 25_000, sinceLastSentMs: 5_000 }, at(130)));
  // Another path, and before the range.
  out.push(ended('direct-1', 20_000, { path: direct }, at(140)));
  out.push(ended('old-1', 20_000, { path: squid }, new Date(BASE.getTime() - 3_600_000)));
  // Two ends in one millisecond, to be split across a page boundary.
  out.push(ended('tie-a', 21_000, { path: squid, endedAt: at(200).toISOString() }, at(199)));
  out.push(ended('tie-b', 21_000, { path: squid, endedAt: at(200).toISOString() }, at(199)));
  return out;
}

describe.each(backends())('histogram drill-down on $name', (backend) => {
  let database: Database;
  const list = (scope: DashboardScope, over: Partial<BinSessionsParams>) =>
    listBinSessions(database.db, scope, { measure: 'duration', kind: 'ended', minMs: 15_000, maxMs: 25_000, limit: 50, ...over });

  beforeAll(async () => {
    database = await backend.open();
    const { probe } = await addProbe(database.db, { name: 'edge-a', labels: { region: 'eu' } });
    await storeBatch(database.db, probe.id, fleet(), NOW);
  });
  afterAll(() => database.close());

  it('lists the sessions of one bar of drops by age, newest first, in the scope only', async () => {
    const page = await list({ ...SCOPE, proxy: 'squid' }, { measure: 'age', kind: 'drops', limit: 100 });
    // 53 cuts, the silent death (age 20 s) and the two ties; not the probe's closes, not direct-1, not old-1.
    expect(page.total).toBe(56);
    expect(page.sessions.map((s) => s.sessionId).slice(0, 3)).toEqual(['tie-b', 'tie-a', 'pt-1']);
    expect(page.sessions.find((s) => s.sessionId === 'pt-1')).toMatchObject({ durationMs: 45_000, valueMs: 20_000, endKind: 'pong_timeout', probe: 'edge-a', proxy: 'squid' });
    expect(page.nextCursor).toBeNull();
    expect(binSessionsAnswerSchema.parse({ scope: { from: BASE.toISOString(), to: NOW.toISOString() }, ...page })).toBeTruthy();
  });

  it('counts every ended session by duration for the overview, the probe\'s closes too', async () => {
    const page = await list(SCOPE, { kind: 'ended', limit: 100 });
    // 53 cuts, 3 probe closes, direct-1, the ties; the silent death lasted 45 s.
    expect(page.total).toBe(59);
    expect(page.sessions.some((s) => s.endKind === 'probe_closed')).toBe(true);
    expect(page.sessions.some((s) => s.sessionId === 'pt-1')).toBe(false);
  });

  it('lists an overflow bar with no upper end: the outlier', async () => {
    const page = await list(SCOPE, { kind: 'drops', minMs: 35_000, maxMs: null });
    expect(page.sessions.map((s) => s.sessionId)).toEqual(['pt-1', 'outlier-1']);
    expect(page.maxDurationMs).toBeNull();
  });

  it('pages through a bar without skipping or repeating a row, ties in one millisecond included', async () => {
    const seen: string[] = [];
    let cursor: string | undefined;
    for (let i = 0; i < 20; i++) {
      const page = await list({ ...SCOPE, proxy: 'squid' }, { measure: 'age', kind: 'drops', limit: i === 1 ? 1 : 7, ...(cursor && { cursor }) });
      expect(page.total).toBe(56);
      seen.push(...page.sessions.map((s) => s.sessionId));
      if (!page.nextCursor) break;
      cursor = page.nextCursor;
    }
    expect(seen).toHaveLength(56);
    expect(new Set(seen).size).toBe(56);
    expect(seen.slice(0, 2)).toEqual(['tie-b', 'tie-a']);
  });

  it('splits two ends of one millisecond across pages', async () => {
    const first = await list(SCOPE, { kind: 'drops', limit: 1 });
    expect(first.sessions.map((s) => s.sessionId)).toEqual(['tie-b']);
    const second = await list(SCOPE, { kind: 'drops', limit: 1, cursor: first.nextCursor! });
    expect(second.sessions.map((s) => s.sessionId)).toEqual(['tie-a']);
  });

  it('refuses a malformed cursor', async () => {
    await expect(list(SCOPE, { cursor: 'x' })).rejects.toThrow(RangeError);
  });

  it('draws the overview\'s durations at the clipped axis\' width, the outlier in the overflow, rows and aggregate alike', async () => {
    const fromRows = await durationHistogram(database.db, BASE, NOW);
    // Fitted to 582 s that would be 10 s bins; the axis clipped past the 45 s session
    // (at 75 s, with room) gets 2 s bins.
    expect(fromRows.binWidthMs).toBe(2000);
    expect(fromRows.bins.reduce((n, b) => n + b.count, 0)).toBe(61);
    const clipped = clipBins(fromRows.bins, fromRows.binWidthMs);
    expect(clipped.overflow).toMatchObject({ count: 1 });
    await sealReportBins(database.db, { now: new Date(NOW.getTime() + 3 * 3_600_000), limit: 1000 });
    const sealed = await durationHistogram(database.db, BASE, NOW);
    expect(sealed).toEqual(fromRows);
  });

  it('fits the drops page\'s automatic width to the clipped axis', async () => {
    const report = await dropsReport(database.db, { ...SCOPE, proxy: 'squid' }, { bin: 'auto', scale: 'linear' }, { now: NOW, layers: BUILTIN_LAYERS });
    expect(report.binWidthMs).toBe(1000);
    expect(report.totalDrops).toBe(57);
    expect(clipBins(report.age.bins, report.binWidthMs).overflow).toMatchObject({ count: 1 });
    // A width the user picks is kept.
    const picked = await dropsReport(database.db, { ...SCOPE, proxy: 'squid' }, { bin: '10s', scale: 'linear' }, { now: NOW, layers: BUILTIN_LAYERS });
    expect(picked.binWidthMs).toBe(10_000);
  });
});
