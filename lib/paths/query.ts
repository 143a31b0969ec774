/**
 * Query strings of the paths pages and endpoints: the dashboard scope plus `by=probe`
 * (the matrix only). `by` is split off before the scope's strict schema sees it, so an
 * unknown parameter is still refused and named.
 */
import { z } from 'zod';
import { dashboardScopeSchema, type DashboardQuery } from '../dashboard/scope';
import { fieldIssues, type FieldIssue } from '../http/problem';

const viewSchema = z.strictObject({ by: z.enum(['probe']).optional() });

export type ParsedQuery<T> = { success: true; data: T } | { success: false; issues: FieldIssue[] };

/** Drop absent and empty values, as a form or a hand-edited link leaves them. */
export function presentParams(q: Record<string, string | string[] | undefined>): Record<string, string | string[]> {
  return Object.fromEntries(Object.entries(q).filter(([, v]) => v !== undefined && v !== '')) as Record<string, string | string[]>;
}

export function parseScopeQuery(q: Record<string, string | string[]>): ParsedQuery<DashboardQuery> {
  const parsed = dashboardScopeSchema.safeParse(q);
  return parsed.success ? { success: true, data: parsed.data } : { success: false, issues: fieldIssues(parsed.error) };
}

export function parsePathsQuery(q: Record<string, string | string[]>): ParsedQuery<{ scope: DashboardQuery; byProbe: boolean }> {
  const { by, ...rest } = q;
  const view = viewSchema.safeParse(by === undefined ? {} : { by });
  const scope = parseScopeQuery(rest);
  const issues = [...(view.success ? [] : fieldIssues(view.error)), ...(scope.success ? [] : scope.issues)];
  if (issues.length > 0 || !scope.success || !view.success) return { success: false, issues };
  return { success: true, data: { scope: scope.data, byProbe: view.data.by === 'probe' } };
}
