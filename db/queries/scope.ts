/** SQL pieces for the dashboard scope (lib/dashboard/scope.ts), shared by every page's queries. */
import { and, asc, eq, isNull, sql, type SQL } from 'drizzle-orm';
import type { DashboardScope, ScopeOptions } from '../../lib/dashboard/scope';
import type { Executor } from '../client';
import { canarySessions as s, probes } from '../schema';

/** Filters on canary_sessions for everything in the scope but the time range. */
export function sessionFilters(scope: DashboardScope): SQL[] {
  const out: SQL[] = [];
  if (scope.proxy) out.push(eq(s.proxyName, scope.proxy));
  if (scope.target) out.push(eq(s.targetName, scope.target));
  if (scope.profile) out.push(eq(s.profile, scope.profile));
  if (scope.probe) out.push(sql`${s.probeId} in (select ${probes.id} from ${probes} where ${probes.name} = ${scope.probe})`);
  if (scope.label) out.push(sql`${s.probeId} in (select ${probes.id} from ${probes} where ${probes.labels} ->> ${scope.label.key} = ${scope.label.value})`);
  return out;
}

/** The values the filter bar offers. Distinct over the recent sessions' paths, via the path index. */
export async function scopeOptions(db: Executor): Promise<ScopeOptions> {
  const probeRows = await db.select({ name: probes.name, labels: probes.labels }).from(probes).where(isNull(probes.revokedAt)).orderBy(asc(probes.name));
  const paths = await db
    .selectDistinct({ target: s.targetName, proxy: s.proxyName, profile: s.profile })
    .from(s)
    .where(and(sql`${s.attemptedAt} > now() - interval '30 days'`));
  const uniq = (xs: string[]) => [...new Set(xs)].sort();
  return {
    probes: probeRows.map((p) => p.name),
    labels: uniq(probeRows.flatMap((p) => Object.entries(p.labels).map(([k, v]) => `${k}=${v}`))),
    proxies: uniq(paths.map((p) => p.proxy)),
    targets: uniq(paths.map((p) => p.target)),
    profiles: uniq(paths.map((p) => p.profile)),
  };
}
