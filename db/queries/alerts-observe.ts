/**
 * What each kind of rule measures, per label set, at an instant `now`. Every statement is
 * one grouped, index-backed scan over the rule's window (at most 24 h, see
 * lib/alerts/rule.ts) and returns at most MAX_GROUPS label sets: the worst ones. A label
 * set that is not returned counts as clear (lib/alerts/observation.ts), so only the
 * groups that could breach or hold need to come back.
 */
import { and, desc, eq, gt, isNotNull, isNull, lte, ne, sql, type SQL } from 'drizzle-orm';
import type { Layer } from '../../lib/analysis/catalogue';
import type { Observation } from '../../lib/alerts/observation';
import type { GroupDimension, RuleScope } from '../../lib/alerts/rule';
import type { SignatureSighting } from '../../lib/alerts/signature-watch';
import { judge } from '../../lib/alerts/verdict';
import { rttQuantile } from '../../lib/rtt/buckets';
import type { Db, Executor } from '../client';
import { canarySessions as s, probes as p, rttMinutes as r } from '../schema';
import type { StoredRule } from './alert-rules';
import { analyzeScope } from './analysis';

/** The most label sets one rule can alert on at once: bounds state rows and receivers' noise. */
export const MAX_GROUPS = 100;

const SESSION_DIMENSION: Record<GroupDimension, SQL<string>> = {
  target: sql<string>`${s.targetName}`,
  proxy: sql<string>`${s.proxyName}`,
  profile: sql<string>`${s.profile}`,
  probe: sql<string>`${p.name}`,
};

function labelFilter(label: string | undefined, probeId: SQL): SQL | undefined {
  if (!label) return undefined;
  const [key, value] = label.split('=', 2) as [string, string];
  return sql`${probeId} in (select ${p.id} from ${p} where ${p.labels} ->> ${key} = ${value})`;
}

function sessionScope(scope: RuleScope): SQL[] {
  return [
    scope.target ? eq(s.targetName, scope.target) : undefined,
    scope.proxy ? eq(s.proxyName, scope.proxy) : undefined,
    scope.profile ? eq(s.profile, scope.profile) : undefined,
    scope.probe ? eq(p.name, scope.probe) : undefined,
    labelFilter(scope.label, sql`${s.probeId}`),
  ].filter((x): x is SQL => x !== undefined);
}

/** The grouped select's label columns, named d0, d1, ... in groupBy order. */
function dimensionColumns(groupBy: readonly GroupDimension[], of: Record<GroupDimension, SQL<string>>): Record<string, SQL<string>> {
  return Object.fromEntries(groupBy.map((g, i) => [`d${i}`, of[g]]));
}

/** GROUP BY the label columns; `()` (one group over everything) for a rule without grouping. */
function groupKeys(dims: Record<string, SQL<string>>): SQL[] {
  const keys = Object.values(dims);
  return keys.length > 0 ? keys : [sql`()`];
}

function labelsOf(groupBy: readonly GroupDimension[], row: Record<string, unknown>): Record<string, string> {
  return Object.fromEntries(groupBy.map((g, i) => [g, String(row[`d${i}`])]));
}

function windowOf(rule: StoredRule, now: Date): { from: Date; windowMs: number } {
  const windowMs = rule.condition.windowMs ?? 0;
  return { from: new Date(now.getTime() - windowMs), windowMs };
}

/** Sessions that ended in the window, not by their probe (or only silent deaths), per group. */
async function endings(db: Executor, rule: StoredRule, now: Date, onlySilent: boolean): Promise<{ labels: Record<string, string>; n: number }[]> {
  const { from } = windowOf(rule, now);
  const dims = dimensionColumns(rule.groupBy, SESSION_DIMENSION);
  const n = sql<number>`count(*)`.mapWith(Number);
  const rows = await db
    .select({ ...dims, n })
    .from(s)
    .innerJoin(p, eq(p.id, s.probeId))
    .where(
      and(
        gt(s.endedAt, from),
        lte(s.endedAt, now),
        onlySilent ? eq(s.endKind, 'pong_timeout') : and(isNotNull(s.endKind), ne(s.endKind, 'probe_closed')),
        ...sessionScope(rule.scope),
      ),
    )
    .groupBy(...groupKeys(dims))
    .orderBy(desc(n))
    .limit(MAX_GROUPS);
  return rows.map((row) => ({ labels: labelsOf(rule.groupBy, row), n: row.n }));
}

async function dropRate(db: Executor, rule: StoredRule, now: Date): Promise<Observation[]> {
  const { windowMs } = windowOf(rule, now);
  return (await endings(db, rule, now, false)).map(({ labels, n }) => {
    const value = n / (windowMs / 60_000);
    return { labels, value, verdict: judge('drop_rate', rule.condition, value), evidence: { drops: n, windowMs } };
  });
}

async function silentDeaths(db: Executor, rule: StoredRule, now: Date): Promise<Observation[]> {
  const { windowMs } = windowOf(rule, now);
  return (await endings(db, rule, now, true)).map(({ labels, n }) => ({ labels, value: n, verdict: judge('silent_deaths', rule.condition, n), evidence: { pongTimeouts: n, windowMs } }));
}

async function upgradeRatio(db: Executor, rule: StoredRule, now: Date): Promise<Observation[]> {
  const { from, windowMs } = windowOf(rule, now);
  const dims = dimensionColumns(rule.groupBy, SESSION_DIMENSION);
  const attempts = sql<number>`count(*)`.mapWith(Number);
  const upgrades = sql<number>`count(*) filter (where ${s.httpStatus} = 101)`.mapWith(Number);
  const rows = await db
    .select({ ...dims, attempts, upgrades })
    .from(s)
    .innerJoin(p, eq(p.id, s.probeId))
    .where(and(gt(s.attemptedAt, from), lte(s.attemptedAt, now), isNotNull(s.outcome), ...sessionScope(rule.scope)))
    .groupBy(...groupKeys(dims))
    .having(sql`count(*) >= ${rule.condition.minCount}`)
    // The worst ratios first.
    .orderBy(sql`count(*) filter (where ${s.httpStatus} = 101)::float8 / count(*)`)
    .limit(MAX_GROUPS);
  return rows.map((row) => {
    const value = row.upgrades / row.attempts;
    return { labels: labelsOf(rule.groupBy, row), value, verdict: judge('upgrade_ratio', rule.condition, value), evidence: { attempts: row.attempts, upgrades: row.upgrades, windowMs } };
  });
}

const RTT_DIMENSION: Record<GroupDimension, SQL<string>> = {
  target: sql<string>`${r.targetName}`,
  proxy: sql<string>`${r.proxyName}`,
  probe: sql<string>`${p.name}`,
  // Refused by the rule's schema: rtt_minutes has no profile.
  profile: sql<string>`'-'`,
};

/** p95 from the minute rollups: bucket counts summed per group in SQL, the quantile read in JS. */
async function rttP95(db: Executor, rule: StoredRule, now: Date): Promise<Observation[]> {
  const { from, windowMs } = windowOf(rule, now);
  const dims = dimensionColumns(rule.groupBy, RTT_DIMENSION);
  const where = and(
    gt(r.minute, from),
    lte(r.minute, now),
    rule.scope.target ? eq(r.targetName, rule.scope.target) : undefined,
    rule.scope.proxy ? eq(r.proxyName, rule.scope.proxy) : undefined,
    rule.scope.probe ? eq(p.name, rule.scope.probe) : undefined,
    labelFilter(rule.scope.label, sql`${r.probeId}`),
  );
  const rows = await db
    .select({ ...dims, i: sql<number>`u.i`.mapWith(Number), total: sql<number>`sum(u.b)`.mapWith(Number), maxMs: sql<number>`max(${r.maxMs})`.mapWith(Number) })
    .from(sql`${r} join ${p} on ${p.id} = ${r.probeId} cross join lateral unnest(${r.buckets}) with ordinality as u(b, i)`)
    .where(where)
    .groupBy(...Object.values(dims), sql`u.i`);
  const groups = new Map<string, { labels: Record<string, string>; buckets: number[]; maxMs: number; samples: number }>();
  for (const row of rows) {
    const labels = labelsOf(rule.groupBy, row);
    const key = JSON.stringify(labels);
    const g = groups.get(key) ?? { labels, buckets: [], maxMs: 0, samples: 0 };
    g.buckets[row.i - 1] = row.total;
    g.maxMs = Math.max(g.maxMs, row.maxMs);
    g.samples += row.total;
    groups.set(key, g);
  }
  return [...groups.values()]
    .map((g) => {
      const value = rttQuantile(Array.from(g.buckets, (b) => b ?? 0), 0.95, g.maxMs);
      return { labels: g.labels, value, verdict: judge('rtt_p95', rule.condition, value), evidence: { samples: g.samples, maxMs: g.maxMs, windowMs } };
    })
    .sort((a, b) => (b.value ?? 0) - (a.value ?? 0))
    .slice(0, MAX_GROUPS);
}

/** Probes heard from before but silent for longer than the resolve bound; one alert per probe. */
async function probeOffline(db: Executor, rule: StoredRule, now: Date): Promise<Observation[]> {
  const quietSince = new Date(now.getTime() - (rule.condition.resolveThreshold ?? rule.condition.threshold));
  const rows = await db
    .select({ name: p.name, lastSeenAt: p.lastSeenAt })
    .from(p)
    .where(
      and(
        isNull(p.revokedAt),
        isNotNull(p.lastSeenAt),
        lte(p.lastSeenAt, quietSince),
        rule.scope.probe ? eq(p.name, rule.scope.probe) : undefined,
        labelFilter(rule.scope.label, sql`${p.id}`),
      ),
    )
    .orderBy(p.lastSeenAt)
    .limit(10 * MAX_GROUPS);
  return rows.map((row) => {
    const value = now.getTime() - row.lastSeenAt!.getTime();
    return { labels: { probe: row.name }, value, verdict: judge('probe_offline', rule.condition, value), evidence: { lastSeenAt: row.lastSeenAt!.toISOString() } };
  });
}

/** The signatures of the rule's window, for the signature rule (lib/alerts/signature-watch.ts). */
export async function signatureSightings(db: Db, rule: StoredRule, now: Date, layers: readonly Layer[]): Promise<SignatureSighting[]> {
  const { from } = windowOf(rule, now);
  const result = await analyzeScope(db, { from, to: now, ...(rule.scope.probe && { probe: rule.scope.probe }), ...(rule.scope.proxy && { proxy: rule.scope.proxy }), ...(rule.scope.target && { target: rule.scope.target }) }, { now, layers });
  return result.signatures.map((sig) => ({ dimension: sig.dimension, nMs: sig.nMs, nSeconds: sig.nSeconds, count: sig.count, verdict: sig.verdict, location: { scope: sig.location.scope, value: sig.location.value } }));
}

/**
 * Observations of a numeric rule. Signature rules go through signatureSightings and
 * compareSignatures instead, since they need the rule's baseline.
 */
export async function observe(db: Executor, rule: StoredRule, now: Date): Promise<Observation[]> {
  switch (rule.kind) {
    case 'drop_rate':
      return dropRate(db, rule, now);
    case 'silent_deaths':
      return silentDeaths(db, rule, now);
    case 'upgrade_ratio':
      return upgradeRatio(db, rule, now);
    case 'rtt_p95':
      return rttP95(db, rule, now);
    case 'probe_offline':
      return probeOffline(db, rule, now);
    case 'signature':
      throw new TypeError('signature rules are observed with signatureSightings');
  }
}

