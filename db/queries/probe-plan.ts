/**
 * A probe's side of the fleet plan: the plan it is served (only the paths its selector
 * picks, only the definitions those paths name), when it fetched it, and the status it
 * reported back, which the probes page shows.
 *
 * The version is a hash of what the probe would run, not the fleet revision: an edit that
 * does not touch this probe's paths leaves its version (and so its ETag) alone, while a
 * label change that changes what its selectors pick changes it. The experiments the server
 * asks of the probe (db/queries/experiments.ts) are part of it: one made, concluded or
 * expired changes the version, and the probe starts or stops its canary at its next fetch.
 */
import { createHash } from 'node:crypto';
import { asc, eq, inArray } from 'drizzle-orm';
import { BUILTIN_PROXY_NAME, readsExperiments, type PlanStatusReport, type ServerPlanWire } from '../../lib/contracts/plan';
import { matchesSelector, parseSelector, selectorProblem } from '../../lib/plans/selector';
import type { ProbePlanView } from '../../lib/plans/types';
import type { Executor } from '../client';
import { planPaths, planProfiles, planProxies, planTargets, probePlanStatus, probes } from '../schema';
import { activeExperiments, experimentWire } from './experiments';
import { profileSettingsWire, readPlanRevision } from './plans';

type PlanBody = Pick<ServerPlanWire, 'targets' | 'proxies' | 'profiles' | 'paths' | 'experiments'>;

/** JSON with object keys sorted at every depth, so equal plans hash equal whatever built them. */
export function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  if (value && typeof value === 'object') {
    const entries = Object.entries(value as Record<string, unknown>)
      .filter(([, v]) => v !== undefined)
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonicalJson(v)}`).join(',')}}`;
  }
  return JSON.stringify(value);
}

/** The first 16 hex digits of the sha256 of the plan's canonical JSON, without revision or probe. */
export function planVersion(body: PlanBody): string {
  return createHash('sha256').update(canonicalJson(body)).digest('hex').slice(0, 16);
}

/**
 * The plan of the probe with id `probeId`, as GET /api/v1/probe/plan serves it at `now`
 * (which experiments are still running); null for no such probe.
 */
export async function planForProbe(db: Executor, probeId: number, now: Date = new Date()): Promise<ServerPlanWire | null> {
  const [probe] = await db.select({ name: probes.name, labels: probes.labels, agentVersion: probes.agentVersion }).from(probes).where(eq(probes.id, probeId));
  if (!probe) return null;
  const revision = await readPlanRevision(db);
  const rows = await db
    .select({ path: planPaths, target: planTargets, proxy: planProxies })
    .from(planPaths)
    .innerJoin(planTargets, eq(planTargets.id, planPaths.targetId))
    .leftJoin(planProxies, eq(planProxies.id, planPaths.proxyId))
    .where(eq(planPaths.enabled, true))
    .orderBy(asc(planPaths.id));
  // Selectors are checked when written; one that is not (a row edited by hand) selects nothing.
  const picked = rows.filter(({ path }) => selectorProblem(path.probes) === null && matchesSelector(parseSelector(path.probes), probe));

  const targets = new Map<string, ServerPlanWire['targets'][number]>();
  const proxies = new Map<string, ServerPlanWire['proxies'][number]>();
  const profileNames = new Set<string>();
  for (const { path, target, proxy } of picked) {
    targets.set(target.name, {
      name: target.name,
      url: target.url,
      headers: target.headers,
      subprotocols: target.subprotocols,
      ...(target.origin !== null && { origin: target.origin }),
      tls: { verify: target.tlsVerify, ...(target.tlsServername !== null && { servername: target.tlsServername }) },
    });
    const p = proxy ?? { name: BUILTIN_PROXY_NAME, url: 'direct' };
    proxies.set(p.name, { name: p.name, url: p.url });
    profileNames.add(path.profile);
  }
  // Built-in profile names without a definition are the probe's own: nothing to send.
  const profiles =
    profileNames.size === 0 ? [] : await db.select().from(planProfiles).where(inArray(planProfiles.name, [...profileNames])).orderBy(asc(planProfiles.name));
  // A probe rolled back to an agent from before experiments would refuse its whole plan.
  const experiments = readsExperiments(probe.agentVersion) ? await activeExperiments(db, probeId, now) : [];

  const byName = <T extends { name: string }>(m: Map<string, T>) => [...m.values()].sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  const body: PlanBody = {
    targets: byName(targets),
    proxies: byName(proxies),
    profiles: profiles.map((r) => ({ name: r.name, ...profileSettingsWire(r.kind, r.settings) })),
    paths: picked.map(({ path, target, proxy }) => ({
      id: path.id,
      targets: [target.name],
      proxies: [proxy?.name ?? BUILTIN_PROXY_NAME],
      profiles: [path.profile],
      canaries: path.canaries,
    })),
    // Only when there are some: a probe from before issue 18 parses its plan strictly and
    // would refuse the whole plan for the unknown key; a plan without experiments also keeps
    // the version it had before they existed.
    ...(experiments.length > 0 && { experiments: experiments.map(experimentWire) }),
  };
  return { version: planVersion(body), revision, probe: { name: probe.name, labels: probe.labels }, ...body };
}

/** The probe fetched its plan (a 200 or a 304): what it was served, and when. */
export async function recordPlanFetch(db: Executor, probeId: number, now: Date, version: string, revision: number): Promise<void> {
  const set = { fetchedAt: now, servedVersion: version, servedRevision: revision };
  await db
    .insert(probePlanStatus)
    .values({ probeId, ...set })
    .onConflictDoUpdate({ target: probePlanStatus.probeId, set });
}

/** The probe's latest report of what it runs; it replaces the one before. */
export async function savePlanStatus(db: Executor, probeId: number, report: PlanStatusReport, now: Date): Promise<void> {
  const set = { reportedAt: now, report };
  await db
    .insert(probePlanStatus)
    .values({ probeId, ...set })
    .onConflictDoUpdate({ target: probePlanStatus.probeId, set });
}

/** The plan status of each of `probeIds` that fetched or reported; the others are absent from the map. */
export async function probePlanStatuses(db: Executor, probeIds: readonly number[]): Promise<Map<number, ProbePlanView>> {
  const out = new Map<number, ProbePlanView>();
  if (probeIds.length === 0) return out;
  const rows = await db.select().from(probePlanStatus).where(inArray(probePlanStatus.probeId, [...probeIds]));
  for (const row of rows) {
    const report = row.report;
    out.set(row.probeId, {
      version: row.servedVersion,
      revision: row.servedRevision,
      fetchedAt: row.fetchedAt?.toISOString() ?? null,
      reportedAt: row.reportedAt?.toISOString() ?? null,
      appliedVersion: report?.appliedVersion ?? null,
      rejected: report?.rejected ?? null,
      paths: (report?.paths ?? []).map((p) => ({
        source: p.source,
        id: p.id ?? null,
        target: p.target,
        proxy: p.proxy,
        profile: p.profile,
        canaries: p.canaries,
        open: p.open,
        connecting: p.connecting,
        backoff: p.backoff,
        state: p.state,
        reason: p.reason ?? null,
        field: p.field ?? null,
      })),
      truncated: report?.truncated ?? false,
    });
  }
  return out;
}
