/**
 * What the dashboard bench requests: every dashboard endpoint and page, each with the
 * URL it is timed on and, beside it, the db/queries calls its route or page makes (same
 * arguments, same order), so that a slow one can be replayed in-process statement by
 * statement (bench/dashboard-explain.ts). Keep the two halves in step with app/.
 */
import type { Db } from '../db/client';
import { analyzeScope } from '../db/queries/analysis';
import { analysisReport } from '../db/queries/analysis-report';
import { dropsReport } from '../db/queries/drops';
import { handshakesReport } from '../db/queries/handshakes';
import { overview } from '../db/queries/overview';
import { pathDetail, pathExists } from '../db/queries/path-detail';
import { pathsMatrix } from '../db/queries/paths';
import { probesStatus } from '../db/queries/probes-status';
import { scopeOptions } from '../db/queries/scope';
import { listSessions } from '../db/queries/sessions';
import { loadLayers } from '../lib/config/layers';
import { DEFAULT_ANALYSIS_RANGE_MS } from '../lib/contracts/analysis-query';
import { resolveScope, type DashboardQuery } from '../lib/dashboard/scope';
import { pathId, type PathKey } from '../lib/paths/path-id';

export interface Endpoint {
  /** The path and query string requested. */
  url: string;
  kind: 'json' | 'html';
  /** For a page: a string the rendered HTML must hold, or the page rendered its error or empty state. */
  marker?: string;
  /** A page that makes exactly the same calls as this other endpoint (its url): not replayed twice. */
  sameQueriesAs?: string;
  /** The queries the route makes for a request at `now`. */
  run(db: Db, now: Date): Promise<unknown>;
}

const HOUR_MS = 3_600_000;
// The built-in catalogue: the server runs without DROPSCOPE_LAYERS_FILE.
const layers = loadLayers(undefined);
const scope = (q: DashboardQuery, now: Date) => resolveScope(q, now);

/** `analysisFrom`: the `from` of the 7-day analysis (the seed's first instant). `busy`: the path page's path. */
export function dashboardEndpoints(opts: { analysisFrom: Date; busy: PathKey }): Endpoint[] {
  const from7d = opts.analysisFrom.toISOString();
  const busyId = pathId(opts.busy);
  const drops = (range: '24h' | '7d', bin: 'auto' | '1s') => (db: Db, now: Date) =>
    dropsReport(db, scope({ range }, now), { bin, scale: 'linear' }, { now, layers });
  const analysis = (from: (now: Date) => Date) => (db: Db, now: Date) => analysisReport(db, { from: from(now), to: now }, { now, layers });
  const last24h = (now: Date) => new Date(now.getTime() - DEFAULT_ANALYSIS_RANGE_MS);

  return [
    { url: '/api/v1/overview?window=1h', kind: 'json', run: (db, now) => overview(db, { now, windowMs: HOUR_MS }) },
    { url: '/api/v1/overview?window=24h', kind: 'json', run: (db, now) => overview(db, { now, windowMs: 24 * HOUR_MS }) },
    { url: '/api/v1/drops?range=24h', kind: 'json', run: drops('24h', 'auto') },
    { url: '/api/v1/drops?range=7d', kind: 'json', run: drops('7d', 'auto') },
    { url: '/api/v1/drops?range=24h&bin=1s', kind: 'json', run: drops('24h', '1s') },
    { url: '/api/v1/drops?range=7d&bin=1s', kind: 'json', run: drops('7d', '1s') },
    { url: '/api/v1/handshakes?range=24h', kind: 'json', run: (db, now) => handshakesReport(db, scope({ range: '24h' }, now)) },
    { url: '/api/v1/handshakes?range=7d', kind: 'json', run: (db, now) => handshakesReport(db, scope({ range: '7d' }, now)) },
    { url: '/api/v1/paths?range=24h', kind: 'json', run: (db, now) => pathsMatrix(db, scope({ range: '24h' }, now), { byProbe: false, now }) },
    { url: '/api/v1/paths?range=24h&by=probe', kind: 'json', run: (db, now) => pathsMatrix(db, scope({ range: '24h' }, now), { byProbe: true, now }) },
    {
      url: `/api/v1/paths/${busyId}?range=24h`,
      kind: 'json',
      run: async (db, now) => (await pathExists(db, opts.busy)) && pathDetail(db, opts.busy, scope({ range: '24h' }, now), now, { layers }),
    },
    { url: '/api/v1/probes', kind: 'json', run: (db, now) => probesStatus(db, now, scope({}, now)) },
    { url: '/api/v1/analysis', kind: 'json', run: analysis(last24h) },
    { url: `/api/v1/analysis?from=${encodeURIComponent(from7d)}`, kind: 'json', run: analysis(() => opts.analysisFrom) },
    { url: '/api/v1/sessions?limit=100', kind: 'json', run: (db) => listSessions(db, { limit: 100 }) },
    {
      url: '/',
      kind: 'html',
      marker: 'data-testid="top-signatures"',
      run: async (db, now) => {
        await overview(db, { now, windowMs: HOUR_MS });
        await analyzeScope(db, { from: new Date(now.getTime() - 24 * HOUR_MS), to: now }, { now, layers });
        await pathsMatrix(db, { from: new Date(now.getTime() - HOUR_MS), to: now }, { byProbe: false, now });
      },
    },
    {
      url: '/drops',
      kind: 'html',
      marker: 'data-testid="drops"',
      run: async (db, now) => {
        await drops('24h', 'auto')(db, now);
        await scopeOptions(db);
      },
    },
    {
      url: '/paths',
      kind: 'html',
      marker: 'data-testid="paths"',
      run: async (db, now) => {
        await pathsMatrix(db, scope({}, now), { byProbe: false, now });
        await scopeOptions(db);
      },
    },
    {
      url: '/handshakes',
      kind: 'html',
      marker: 'data-testid="handshakes"',
      run: async (db, now) => {
        await handshakesReport(db, scope({}, now));
        await scopeOptions(db);
      },
    },
    { url: '/probes', kind: 'html', marker: 'data-testid="probes"', run: (db, now) => probesStatus(db, now, scope({}, now)) },
    { url: '/analysis', kind: 'html', marker: 'data-testid="analysis"', sameQueriesAs: '/api/v1/analysis', run: analysis(last24h) },
  ];
}
