/**
 * Query strings of the paths pages and endpoints: the dashboard scope plus `by=probe`
 * (the matrix only), parsed through lib/dashboard/query-params.ts, so unknown parameters are
 * set aside and named rather than refused, and every range limit applies.
 */
import { z } from 'zod';
import { parseScopedQuery, type QueryInput, type QueryParse } from '../dashboard/query-params';
import { dashboardScopeSchema, type DashboardQuery } from '../dashboard/scope';

const pathsQuerySchema = dashboardScopeSchema.safeExtend({ by: z.enum(['probe']).optional() });

export type ParsedQuery<T> = QueryParse<T>;

/** Drop absent and empty values, as a form or a hand-edited link leaves them. */
export function presentParams(q: Record<string, string | string[] | undefined>): Record<string, string | string[]> {
  return Object.fromEntries(Object.entries(q).filter(([, v]) => v !== undefined && v !== '')) as Record<string, string | string[]>;
}

/** The scope alone (a path page, the probes page). `now` anchors a `from` given without `to`. */
export function parseScopeQuery(q: QueryInput, now: Date = new Date()): ParsedQuery<DashboardQuery> {
  return parseScopedQuery(dashboardScopeSchema, q, now);
}

/** The paths matrix: the scope and whether it is split by probe. */
export function parsePathsQuery(q: QueryInput, now: Date = new Date()): ParsedQuery<{ scope: DashboardQuery; byProbe: boolean }> {
  const r = parseScopedQuery(pathsQuerySchema, q, now);
  if (!r.success) return r;
  const { by, ...scope } = r.data;
  return { ...r, data: { scope, byProbe: by === 'probe' } };
}
