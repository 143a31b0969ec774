/**
 * What each kind of rule measures, per label set, at an instant `now`. Every statement is
 * one grouped, index-backed scan over the rule's window (at most 24 h, see
 * lib/alerts/rule.ts) and returns at most MAX_GROUPS label sets: the worst ones. A label
 * set that is not returned counts as clear (lib/alerts/observation.ts), so only the
 * groups that could breach or hold need to come back.
 *
 * A rule with a quorum (issue 17) is measured per probe inside each label set, and the
 * probes' observations are folded into one per label set (lib/alerts/quorum.ts) before
 * the state machine sees them.
 */
import { and, desc, eq, gt, isNotNull, isNull, lte, ne, sql, type SQL } from 'drizzle-orm';
import type { Layer } from '../../lib/analysis/catalogue';
import type { Observation } from '../../lib/alerts/observation';
import { applyQuorum, type UnitObservation } from '../../lib/alerts/quorum';
import type { GroupDimension, Quorum, RuleScope } from '../../lib/alerts/rule';
import type { SignatureSighting } from '../../lib/alerts/signature-watch';
import { judge } from '../../lib/alerts/verdict';
import { rttQuantile } from '../../lib/rtt/buckets';
import type { Db, Executor } from '../client';
import { canarySessions as s, probes as p, rttMinutes as r } from '../schema';
import type { StoredRule } from './alert-rules';
import { analyzeScope } from './analysis';

/** The most label sets one rule can alert on at once: bounds state rows and receivers' noise. */
export const MAX_GROUPS = 100;
/**
 * The most per-probe rows a quorum rule reads: every probe of every label set must come
 * back, or probes would be cut and the quorum undercounted.
 */
export const MAX_QUORUM_ROWS = 5000;

/** What a query measured: one label set, or with a quorum one probe inside one. */
type Measured = Observation & Partial<Pick<UnitObservation, 'probe' | 'labelValue'>>;

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

function labelsOf(groupBy: readonly GroupDimension[], row: Record<string, unknown>): Record<string, string> {
  return Object.fromEntries(groupBy.map((g, i) => [g, String(row[`d${i}`])]));
}

const quorumLabel = (q: Quorum): string | null => (q.by === 'probe' ? null : q.by.slice('label:'.length));

/**
 * The probe's columns for a quorum rule. Grouping by the probe's id (its primary key) lets
 * its name and labels be selected without repeating the label expression in GROUP BY.
 */
function unitColumns(rule: StoredRule): { select: Record<string, SQL<string | null>>; keys: SQL[]; where: SQL[] } {
  const q = rule.condition.quorum;
  if (!q) return { select: {}, keys: [], where: [] };
  const key = quorumLabel(q);
  return {
    select: { uProbe: sql<string>`${p.name}`, ...(key !== null && { uLabel: sql<string | null>`${p.labels} ->> ${key}` }) },
    keys: [sql`${p.id}`],
    // A probe without the label is not a unit of a quorum by that label.
    where: key !== null ? [sql`${p.labels} ->> ${key} is not null`] : [],
  };
}

function unitOf(row: Record<string, unknown>): Partial<Pick<UnitObservation, 'probe' | 'labelValue'>> {
  if (typeof row.uProbe !== 'string') return {};
  return { probe: row.uProbe, labelValue: typeof row.uLabel === 'string' ? row.uLabel : null };
}

const rowLimit = (rule: StoredRule) => (rule.condition.quorum ? MAX_QUORUM_ROWS : MAX_GROUPS);

/** GROUP BY the label columns and the unit's; `()` (one group over everything) when there are none. */
function allKeys(dims: Record<string, SQL<string>>, unitKeys: SQL[]): SQL[] {
  const keys = [...Object.values(dims), ...unitKeys];
  return keys.length > 0 ? keys : [sql`()`];
}

function windowOf(rule: StoredRule, now: Date): { from: Date; windowMs: number } {
  const windowMs = rule.condition.windowMs ?? 0;
  return { from: new Date(now.getTime() - windowMs), windowMs };
}

/** Sessions that ended in the window, not by their probe (or only silent deaths), per group. */
async function endings(db: Executor, rule: StoredRule, now: Date, onlySilent: boolean): Promise<({ labels: Record<string, string>; n: number } & ReturnType<typeof unitOf>)[]> {
  const { from } = windowOf(rule, now);
  const dims = dimensionColumns(rule.groupBy, SESSION_DIMENSION);
  const unit = unitColumns(rule);
  const n = sql<number>`count(*)`.mapWith(Number);
  const rows = await db
    .select({ ...dims, ...unit.select, n })
    .from(s)
    .innerJoin(p, eq(p.id, s.probeId))
    .where(
      and(
        gt(s.endedAt, from),
        lte(s.endedAt, now),
        onlySilent ? eq(s.endKind, 'pong_timeout') : and(isNotNull(s.endKind), ne(s.endKind, 'probe_closed')),
        ...sessionScope(rule.scope),
        ...unit.where,
      ),
    )
    .groupBy(...allKeys(dims, unit.keys))
    .orderBy(desc(n))
    .limit(rowLimit(rule));
  return rows.map((row) => ({ labels: labelsOf(rule.groupBy, row), n: row.n, ...unitOf(row) }));
}

async function dropRate(db: Executor, rule: StoredRule, now: Date): Promise<Measured[]> {
  const { windowMs } = windowOf(rule, now);
  return (await endings(db, rule, now, false)).map(({ labels, n, ...unit }) => {
    const value = n / (windowMs / 60_000);
    return { labels, value, verdict: judge('drop_rate', rule.condition, value), evidence: { drops: n, windowMs }, ...unit };
  });
}

async function silentDeaths(db: Executor, rule: StoredRule, now: Date): Promise<Measured[]> {
  const { windowMs } = windowOf(rule, now);
  return (await endings(db, rule, now, true)).map(({ labels, n, ...unit }) => ({ labels, value: n, verdict: judge('silent_deaths', rule.condition, n), evidence: { pongTimeouts: n, windowMs }, ...unit }));
}

async function upgradeRatio(db: Executor, rule: StoredRule, now: Date): Promise<Measured[]> {
  const { from, windowMs } = windowOf(rule, now);
  const dims = dimensionColumns(rule.groupBy, SESSION_DIMENSION);
  const unit = unitColumns(rule);
  const attempts = sql<number>`count(*)`.mapWith(Number);
  const upgrades = sql<number>`count(*) filter (where ${s.httpStatus} = 101)`.mapWith(Number);
  const rows = await db
    .select({ ...dims, ...unit.select, attempts, upgrades })
    .from(s)
    .innerJoin(p, eq(p.id, s.probeId))
    .where(and(gt(s.attemptedAt, from), lte(s.attemptedAt, now), isNotNull(s.outcome), ...sessionScope(rule.scope), ...unit.where))
    // With a quorum, minAttempts holds per probe: a probe with fewer has no ratio to count.
    .groupBy(...allKeys(dims, unit.keys))
    .having(sql`count(*) >= ${rule.condition.minCount}`)
    // The worst ratios first.
    .orderBy(sql`count(*) filter (where ${s.httpStatus} = 101)::float8 / count(*)`)
    .limit(rowLimit(rule));
  return rows.map((row) => {
    const value = row.upgrades / row.attempts;
    return { labels: labelsOf(rule.groupBy, row), value, verdict: judge('upgrade_ratio', rule.condition, value), evidence: { attempts: row.attempts, upgrades: row.upgrades, windowMs }, ...unitOf(row) };
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
async function rttP95(db: Executor, rule: StoredRule, now: Date): Promise<Measured[]> {
  const { from, windowMs } = windowOf(rule, now);
  const dims = dimensionColumns(rule.groupBy, RTT_DIMENSION);
  const unit = unitColumns(rule);
  const where = and(
    gt(r.minute, from),
    lte(r.minute, now),
    rule.scope.target ? eq(r.targetName, rule.scope.target) : undefined,
    rule.scope.proxy ? eq(r.proxyName, rule.scope.proxy) : undefined,
    rule.scope.probe ? eq(p.name, rule.scope.probe) : undefined,
    labelFilter(rule.scope.label, sql`${r.probeId}`),
    ...unit.where,
  );
  const rows = await db
    .select({ ...dims, ...unit.select, i: sql<number>`u.i`.mapWith(Number), total: sql<number>`sum(u.b)`.mapWith(Number), maxMs: sql<number>`max(${r.maxMs})`.mapWith(Number) })
    .from(sql`${r} join ${p} on ${p.id} = ${r.probeId} cross join lateral unnest(${r.buckets}) with ordinality as u(b, i)`)
    .where(where)
    .groupBy(...Object.values(dims), ...unit.keys, sql`u.i`);
  const groups = new Map<string, { labels: Record<string, string>; unit: ReturnType<typeof unitOf>; buckets: number[]; maxMs: number; samples: number }>();
  for (const row of rows) {
    const labels = labelsOf(rule.groupBy, row);
    const unitOfRow = unitOf(row);
    const key = JSON.stringify([labels, unitOfRow.probe ?? null]);
    const g = groups.get(key) ?? { labels, unit: unitOfRow, buckets: [], maxMs: 0, samples: 0 };
    g.buckets[row.i - 1] = row.total;
    g.maxMs = Math.max(g.maxMs, row.maxMs);
    g.samples += row.total;
    groups.set(key, g);
  }
  return [...groups.values()]
    .map((g) => {
      const value = rttQuantile(Array.from(g.buckets, (b) => b ?? 0), 0.95, g.maxMs);
      return { labels: g.labels, value, verdict: judge('rtt_p95', rule.condition, value), evidence: { samples: g.samples, maxMs: g.maxMs, windowMs }, ...g.unit };
    })
    .sort((a, b) => (b.value ?? 0) - (a.value ?? 0))
    .slice(0, rowLimit(rule));
}

/** Probes heard from before but silent for longer than the resolve bound; one alert per probe. */
async function probeOffline(db: Executor, rule: StoredRule, now: Date): Promise<Measured[]> {
  const quietSince = new Date(now.getTime() - (rule.condition.resolveThreshold ?? rule.condition.threshold));
  const q = rule.condition.quorum;
  const key = q ? quorumLabel(q) : null;
  const rows = await db
    .select({ name: p.name, labels: p.labels, lastSeenAt: p.lastSeenAt })
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
    .limit(q ? MAX_QUORUM_ROWS : 10 * MAX_GROUPS);
  return rows.map((row): Measured => {
    const value = now.getTime() - row.lastSeenAt!.getTime();
    const evidence = { lastSeenAt: row.lastSeenAt!.toISOString() };
    // With a quorum the probes are the units and the alert is one for the fleet (groupBy []).
    if (q) return { labels: {}, value, verdict: judge('probe_offline', rule.condition, value), evidence, probe: row.name, labelValue: key === null ? null : (row.labels[key] ?? null) };
    return { labels: { probe: row.name }, value, verdict: judge('probe_offline', rule.condition, value), evidence };
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
  const measured = await measure(db, rule, now);
  const q = rule.condition.quorum;
  if (!q) return measured;
  const units = measured.flatMap((m): UnitObservation[] => (m.probe === undefined ? [] : [{ ...m, probe: m.probe, labelValue: m.labelValue ?? null }]));
  const windowMs = rule.condition.windowMs;
  return applyQuorum(rule.kind, q, units)
    .map((o) => (windowMs === null ? o : { ...o, evidence: { ...o.evidence, windowMs } }))
    .sort((a, b) => VERDICT_RANK[b.verdict] - VERDICT_RANK[a.verdict])
    .slice(0, MAX_GROUPS);
}

const VERDICT_RANK = { clear: 0, hold: 1, breach: 2 } as const;

async function measure(db: Executor, rule: StoredRule, now: Date): Promise<Measured[]> {
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

