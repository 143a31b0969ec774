/**
 * The fleet plan in the database: targets, proxies, profiles and paths, read whole for the
 * dashboard and written one entry at a time by editors. Every write bumps the plan's
 * revision and records itself in the audit log, both in the write's own transaction.
 *
 * The revision bump comes first in each write: it locks the one plan_revision row, so plan
 * writes run one after another and a check ("no path uses this profile") still holds when
 * the write that relied on it commits.
 */
import { asc, eq, inArray, sql } from 'drizzle-orm';
import type { Principal } from '../../lib/auth/roles';
import { BUILTIN_PROFILE_NAMES, BUILTIN_PROXY_NAME, formatPlanDuration } from '../../lib/contracts/plan';
import type { PlanPathInput, PlanProfileInput, PlanProxyInput, PlanTargetInput } from '../../lib/plans/input';
import type { FleetPlanView, PlanPathView, PlanProfileSettings, PlanProfileView, PlanProxyView, PlanTargetView } from '../../lib/plans/types';
import type { Db, Executor, Tx } from '../client';
import { planPaths, planProfiles, planProxies, planRevision, planTargets, type ProfileSettings } from '../schema';
import { recordAudit } from './audit';

export type PlanErrorCode = 'PLAN_ERR_NAME_TAKEN' | 'PLAN_ERR_PATH_EXISTS' | 'PLAN_ERR_NOT_FOUND' | 'PLAN_ERR_IN_USE' | 'PLAN_ERR_UNKNOWN_REF';

export class PlanError extends Error {
  constructor(
    readonly code: PlanErrorCode,
    message: string,
    /** The request field at fault, for an answer that names it. */
    readonly field?: string,
  ) {
    super(message);
    this.name = 'PlanError';
  }
}

export type PlanKind = 'target' | 'proxy' | 'profile' | 'path' | 'chain';

type TargetRow = typeof planTargets.$inferSelect;
type ProxyRow = typeof planProxies.$inferSelect;
type ProfileRow = typeof planProfiles.$inferSelect;

// ---- views -------------------------------------------------------------------------------

export function targetView(row: TargetRow): PlanTargetView {
  return {
    id: row.id,
    name: row.name,
    url: row.url,
    headers: row.headers,
    subprotocols: row.subprotocols,
    origin: row.origin,
    tls: { verify: row.tlsVerify, servername: row.tlsServername },
    createdAt: row.createdAt.toISOString(),
    updatedAt: row.updatedAt.toISOString(),
  };
}

export function proxyView(row: ProxyRow): PlanProxyView {
  return { id: row.id, name: row.name, url: row.url, createdAt: row.createdAt.toISOString(), updatedAt: row.updatedAt.toISOString() };
}

/** A profile's settings as the profile body writes them, durations as strings the agent reads back exactly. */
export function profileSettingsWire(kind: ProfileRow['kind'], s: ProfileSettings): PlanProfileSettings {
  const d = (ms: number | undefined) => formatPlanDuration(ms ?? 0);
  switch (kind) {
    case 'idle':
      return { kind };
    case 'heartbeat':
      return { kind, interval: d(s.intervalMs), timeout: d(s.timeoutMs), ...(s.holdMs !== undefined && { hold: d(s.holdMs) }) };
    case 'echo':
      return { kind, interval: d(s.intervalMs), timeout: d(s.timeoutMs), messageBytes: s.messageBytes ?? 64, ...(s.growTo !== undefined && { growTo: s.growTo }) };
    case 'ladder':
      return { kind, gaps: (s.gapsMs ?? []).map((g) => formatPlanDuration(g)), timeout: d(s.timeoutMs) };
    case 'bisect':
      return { kind, from: d(s.fromMs), max: d(s.maxMs), timeout: d(s.timeoutMs) };
    case 'keepalive':
      return { kind, gap: d(s.gapMs), keepalive: d(s.keepaliveMs), timeout: d(s.timeoutMs) };
  }
}

export function profileView(row: ProfileRow): PlanProfileView {
  return { id: row.id, name: row.name, ...profileSettingsWire(row.kind, row.settings), createdAt: row.createdAt.toISOString(), updatedAt: row.updatedAt.toISOString() };
}

/** A profile as plan_profiles stores it: its settings in ms (also what experiments serve, db/queries/experiments.ts). */
export function profileColumns(p: PlanProfileInput): { name: string; kind: ProfileRow['kind']; settings: ProfileSettings } {
  switch (p.kind) {
    case 'idle':
      return { name: p.name, kind: p.kind, settings: {} };
    case 'heartbeat':
      return { name: p.name, kind: p.kind, settings: { intervalMs: p.interval, timeoutMs: p.timeout, ...(p.hold !== undefined && { holdMs: p.hold }) } };
    case 'echo':
      return { name: p.name, kind: p.kind, settings: { intervalMs: p.interval, timeoutMs: p.timeout, messageBytes: p.messageBytes, ...(p.growTo !== undefined && { growTo: p.growTo }) } };
    case 'ladder':
      return { name: p.name, kind: p.kind, settings: { gapsMs: p.gaps, timeoutMs: p.timeout } };
    case 'bisect':
      return { name: p.name, kind: p.kind, settings: { fromMs: p.from, maxMs: p.max, timeoutMs: p.timeout } };
    case 'keepalive':
      return { name: p.name, kind: p.kind, settings: { gapMs: p.gap, keepaliveMs: p.keepalive, timeoutMs: p.timeout } };
  }
}

function targetColumns(t: PlanTargetInput) {
  return {
    name: t.name,
    url: t.url,
    headers: t.headers,
    subprotocols: t.subprotocols,
    origin: t.origin ?? null,
    tlsVerify: t.tls.verify,
    tlsServername: t.tls.servername ?? null,
  };
}

/** A target as the audit log shows it: header values can be credentials, so only their names. */
function targetAudit(view: PlanTargetView): unknown {
  const { createdAt: _c, updatedAt: _u, ...rest } = view;
  return { ...rest, headers: Object.fromEntries(Object.keys(view.headers).map((k) => [k, '(not logged)'])) };
}

export function plainAudit<T extends { createdAt: string; updatedAt: string }>(view: T): unknown {
  const { createdAt: _c, updatedAt: _u, ...rest } = view;
  return rest;
}

const pathSelect = {
  id: planPaths.id,
  target: planTargets.name,
  proxy: sql<string>`coalesce(${planProxies.name}, ${BUILTIN_PROXY_NAME})`,
  profile: planPaths.profile,
  canaries: planPaths.canaries,
  probes: planPaths.probes,
  enabled: planPaths.enabled,
  createdAt: planPaths.createdAt,
  updatedAt: planPaths.updatedAt,
};

async function pathViews(db: Executor, ids?: number[]): Promise<PlanPathView[]> {
  const rows = await db
    .select(pathSelect)
    .from(planPaths)
    .innerJoin(planTargets, eq(planTargets.id, planPaths.targetId))
    .leftJoin(planProxies, eq(planProxies.id, planPaths.proxyId))
    .where(ids ? inArray(planPaths.id, ids) : undefined)
    .orderBy(asc(planPaths.id));
  return rows.map((r) => ({ ...r, createdAt: r.createdAt.toISOString(), updatedAt: r.updatedAt.toISOString() }));
}

// ---- reads -------------------------------------------------------------------------------

/** The plan's revision: 0 before the first write. */
export async function readPlanRevision(db: Executor): Promise<number> {
  const [row] = await db.select({ revision: planRevision.revision }).from(planRevision).where(eq(planRevision.id, 1));
  return row?.revision ?? 0;
}

/** The whole fleet plan, as GET /api/v1/plan answers it. */
export async function readFleetPlan(db: Executor): Promise<FleetPlanView> {
  // One at a time: on PGlite reads share one connection (db/client.ts readsRunConcurrently).
  const revision = await readPlanRevision(db);
  const targets = await db.select().from(planTargets).orderBy(asc(planTargets.name));
  const proxies = await db.select().from(planProxies).orderBy(asc(planProxies.name));
  const profiles = await db.select().from(planProfiles).orderBy(asc(planProfiles.name));
  const paths = await pathViews(db);
  return {
    revision,
    builtins: { profiles: [...BUILTIN_PROFILE_NAMES], proxies: [BUILTIN_PROXY_NAME] },
    targets: targets.map(targetView),
    proxies: proxies.map(proxyView),
    profiles: profiles.map(profileView),
    paths,
  };
}

export async function getPlanTarget(db: Executor, id: number): Promise<PlanTargetView | null> {
  const [row] = await db.select().from(planTargets).where(eq(planTargets.id, id));
  return row ? targetView(row) : null;
}

export async function getPlanProxy(db: Executor, id: number): Promise<PlanProxyView | null> {
  const [row] = await db.select().from(planProxies).where(eq(planProxies.id, id));
  return row ? proxyView(row) : null;
}

export async function getPlanProfile(db: Executor, id: number): Promise<PlanProfileView | null> {
  const [row] = await db.select().from(planProfiles).where(eq(planProfiles.id, id));
  return row ? profileView(row) : null;
}

export async function getPlanPath(db: Executor, id: number): Promise<PlanPathView | null> {
  return (await pathViews(db, [id]))[0] ?? null;
}

// ---- writes ------------------------------------------------------------------------------

/** Bump the revision; first in every write, so plan writes are serialized on its row. */
async function bumpRevision(tx: Tx, now: Date): Promise<void> {
  await tx
    .insert(planRevision)
    .values({ id: 1, revision: 1, updatedAt: now })
    .onConflictDoUpdate({ target: planRevision.id, set: { revision: sql`${planRevision.revision} + 1`, updatedAt: now } });
}

export function notFound(kind: PlanKind, id: number): PlanError {
  return new PlanError('PLAN_ERR_NOT_FOUND', `no plan ${kind} with id ${id}`);
}

async function nameFree(tx: Tx, table: typeof planTargets | typeof planProxies | typeof planProfiles, kind: PlanKind, name: string, exceptId?: number): Promise<void> {
  const [other] = await tx.select({ id: table.id }).from(table).where(eq(table.name, name));
  if (other && other.id !== exceptId) throw new PlanError('PLAN_ERR_NAME_TAKEN', `a ${kind} named "${name}" already exists`, 'name');
}

/** Ids of the paths that use a target, a proxy or a profile name. */
async function pathsUsing(tx: Tx, where: { targetId: number } | { proxyId: number } | { profile: string }): Promise<number[]> {
  const cond = 'targetId' in where ? eq(planPaths.targetId, where.targetId) : 'proxyId' in where ? eq(planPaths.proxyId, where.proxyId) : eq(planPaths.profile, where.profile);
  return (await tx.select({ id: planPaths.id }).from(planPaths).where(cond).orderBy(asc(planPaths.id))).map((r) => r.id);
}

function inUse(kind: PlanKind, name: string, ids: number[], field?: string): PlanError {
  return new PlanError('PLAN_ERR_IN_USE', `the ${kind} "${name}" is used by path${ids.length > 1 ? 's' : ''} ${ids.join(', ')}: change or delete ${ids.length > 1 ? 'them' : 'it'} first`, field);
}

type Audit = { actor: Principal; now: Date };
const audited = (tx: Tx, a: Audit, action: string, subjectKind: string, id: number, before: unknown, after: unknown) =>
  recordAudit(tx, a.actor, { action, subjectKind, subjectId: id, ...(before !== undefined && { before }), ...(after !== undefined && { after }) }, a.now);

export async function createPlanTarget(db: Db, input: PlanTargetInput, now: Date, actor: Principal): Promise<PlanTargetView> {
  return db.transaction(async (tx) => {
    await bumpRevision(tx, now);
    await nameFree(tx, planTargets, 'target', input.name);
    const [row] = await tx.insert(planTargets).values({ ...targetColumns(input), createdAt: now, updatedAt: now }).returning();
    const view = targetView(row!);
    await audited(tx, { actor, now }, 'plan_target.create', 'plan_target', view.id, undefined, targetAudit(view));
    return view;
  });
}

export async function replacePlanTarget(db: Db, id: number, input: PlanTargetInput, now: Date, actor: Principal): Promise<PlanTargetView> {
  return db.transaction(async (tx) => {
    await bumpRevision(tx, now);
    const [before] = await tx.select().from(planTargets).where(eq(planTargets.id, id));
    if (!before) throw notFound('target', id);
    await nameFree(tx, planTargets, 'target', input.name, id);
    const [row] = await tx.update(planTargets).set({ ...targetColumns(input), updatedAt: now }).where(eq(planTargets.id, id)).returning();
    const view = targetView(row!);
    await audited(tx, { actor, now }, 'plan_target.update', 'plan_target', id, targetAudit(targetView(before)), targetAudit(view));
    return view;
  });
}

export async function deletePlanTarget(db: Db, id: number, now: Date, actor: Principal): Promise<void> {
  await db.transaction(async (tx) => {
    await bumpRevision(tx, now);
    const [before] = await tx.select().from(planTargets).where(eq(planTargets.id, id));
    if (!before) throw notFound('target', id);
    const users = await pathsUsing(tx, { targetId: id });
    if (users.length > 0) throw inUse('target', before.name, users);
    await tx.delete(planTargets).where(eq(planTargets.id, id));
    await audited(tx, { actor, now }, 'plan_target.delete', 'plan_target', id, targetAudit(targetView(before)), undefined);
  });
}

export async function createPlanProxy(db: Db, input: PlanProxyInput, now: Date, actor: Principal): Promise<PlanProxyView> {
  return db.transaction(async (tx) => {
    await bumpRevision(tx, now);
    await nameFree(tx, planProxies, 'proxy', input.name);
    const [row] = await tx.insert(planProxies).values({ name: input.name, url: input.url, createdAt: now, updatedAt: now }).returning();
    const view = proxyView(row!);
    await audited(tx, { actor, now }, 'plan_proxy.create', 'plan_proxy', view.id, undefined, plainAudit(view));
    return view;
  });
}

export async function replacePlanProxy(db: Db, id: number, input: PlanProxyInput, now: Date, actor: Principal): Promise<PlanProxyView> {
  return db.transaction(async (tx) => {
    await bumpRevision(tx, now);
    const [before] = await tx.select().from(planProxies).where(eq(planProxies.id, id));
    if (!before) throw notFound('proxy', id);
    await nameFree(tx, planProxies, 'proxy', input.name, id);
    const [row] = await tx.update(planProxies).set({ name: input.name, url: input.url, updatedAt: now }).where(eq(planProxies.id, id)).returning();
    const view = proxyView(row!);
    await audited(tx, { actor, now }, 'plan_proxy.update', 'plan_proxy', id, plainAudit(proxyView(before)), plainAudit(view));
    return view;
  });
}

export async function deletePlanProxy(db: Db, id: number, now: Date, actor: Principal): Promise<void> {
  await db.transaction(async (tx) => {
    await bumpRevision(tx, now);
    const [before] = await tx.select().from(planProxies).where(eq(planProxies.id, id));
    if (!before) throw notFound('proxy', id);
    const users = await pathsUsing(tx, { proxyId: id });
    if (users.length > 0) throw inUse('proxy', before.name, users);
    await tx.delete(planProxies).where(eq(planProxies.id, id));
    await audited(tx, { actor, now }, 'plan_proxy.delete', 'plan_proxy', id, plainAudit(proxyView(before)), undefined);
  });
}

const isBuiltinProfile = (name: string) => (BUILTIN_PROFILE_NAMES as readonly string[]).includes(name);

export async function createPlanProfile(db: Db, input: PlanProfileInput, now: Date, actor: Principal): Promise<PlanProfileView> {
  return db.transaction(async (tx) => {
    await bumpRevision(tx, now);
    await nameFree(tx, planProfiles, 'profile', input.name);
    const [row] = await tx.insert(planProfiles).values({ ...profileColumns(input), createdAt: now, updatedAt: now }).returning();
    const view = profileView(row!);
    await audited(tx, { actor, now }, 'plan_profile.create', 'plan_profile', view.id, undefined, plainAudit(view));
    return view;
  });
}

/** Paths name profiles by name: renaming one that paths use (and no built-in stands in for) is refused. */
export async function replacePlanProfile(db: Db, id: number, input: PlanProfileInput, now: Date, actor: Principal): Promise<PlanProfileView> {
  return db.transaction(async (tx) => {
    await bumpRevision(tx, now);
    const [before] = await tx.select().from(planProfiles).where(eq(planProfiles.id, id));
    if (!before) throw notFound('profile', id);
    await nameFree(tx, planProfiles, 'profile', input.name, id);
    if (input.name !== before.name && !isBuiltinProfile(before.name)) {
      const users = await pathsUsing(tx, { profile: before.name });
      if (users.length > 0) throw inUse('profile', before.name, users, 'name');
    }
    const [row] = await tx.update(planProfiles).set({ ...profileColumns(input), updatedAt: now }).where(eq(planProfiles.id, id)).returning();
    const view = profileView(row!);
    await audited(tx, { actor, now }, 'plan_profile.update', 'plan_profile', id, plainAudit(profileView(before)), plainAudit(view));
    return view;
  });
}

/** A profile named as a built-in may go while paths use it: they fall back to the built-in. */
export async function deletePlanProfile(db: Db, id: number, now: Date, actor: Principal): Promise<void> {
  await db.transaction(async (tx) => {
    await bumpRevision(tx, now);
    const [before] = await tx.select().from(planProfiles).where(eq(planProfiles.id, id));
    if (!before) throw notFound('profile', id);
    if (!isBuiltinProfile(before.name)) {
      const users = await pathsUsing(tx, { profile: before.name });
      if (users.length > 0) throw inUse('profile', before.name, users);
    }
    await tx.delete(planProfiles).where(eq(planProfiles.id, id));
    await audited(tx, { actor, now }, 'plan_profile.delete', 'plan_profile', id, plainAudit(profileView(before)), undefined);
  });
}

/** The ids a path body names, or PLAN_ERR_UNKNOWN_REF at the field that names nothing. */
async function resolvePathRefs(tx: Tx, input: PlanPathInput): Promise<{ targetId: number; proxyId: number | null }> {
  const [target] = await tx.select({ id: planTargets.id }).from(planTargets).where(eq(planTargets.name, input.target));
  if (!target) throw new PlanError('PLAN_ERR_UNKNOWN_REF', `no target named "${input.target}": define it first`, 'target');
  let proxyId: number | null = null;
  if (input.proxy !== BUILTIN_PROXY_NAME) {
    const [proxy] = await tx.select({ id: planProxies.id }).from(planProxies).where(eq(planProxies.name, input.proxy));
    if (!proxy) throw new PlanError('PLAN_ERR_UNKNOWN_REF', `no proxy named "${input.proxy}": define it first, or use "${BUILTIN_PROXY_NAME}"`, 'proxy');
    proxyId = proxy.id;
  }
  if (!isBuiltinProfile(input.profile)) {
    const [profile] = await tx.select({ id: planProfiles.id }).from(planProfiles).where(eq(planProfiles.name, input.profile));
    if (!profile) throw new PlanError('PLAN_ERR_UNKNOWN_REF', `no profile named "${input.profile}": define it first, or use a built-in (${BUILTIN_PROFILE_NAMES.join(', ')})`, 'profile');
  }
  return { targetId: target.id, proxyId };
}

async function pathFree(tx: Tx, refs: { targetId: number; proxyId: number | null }, input: PlanPathInput, exceptId?: number): Promise<void> {
  const [other] = await tx
    .select({ id: planPaths.id })
    .from(planPaths)
    .where(
      sql`${planPaths.targetId} = ${refs.targetId} and ${planPaths.proxyId} is not distinct from ${refs.proxyId} and ${planPaths.profile} = ${input.profile} and ${planPaths.probes} = ${input.probes}`,
    );
  if (other && other.id !== exceptId) {
    throw new PlanError('PLAN_ERR_PATH_EXISTS', `path ${other.id} already runs ${input.target} via ${input.proxy} with ${input.profile} on "${input.probes}": change its canaries instead`, 'probes');
  }
}

function pathColumns(refs: { targetId: number; proxyId: number | null }, input: PlanPathInput) {
  return { ...refs, profile: input.profile, canaries: input.canaries, probes: input.probes, enabled: input.enabled };
}

export async function createPlanPath(db: Db, input: PlanPathInput, now: Date, actor: Principal): Promise<PlanPathView> {
  return db.transaction(async (tx) => {
    await bumpRevision(tx, now);
    const refs = await resolvePathRefs(tx, input);
    await pathFree(tx, refs, input);
    const [row] = await tx.insert(planPaths).values({ ...pathColumns(refs, input), createdAt: now, updatedAt: now }).returning({ id: planPaths.id });
    const view = (await pathViews(tx, [row!.id]))[0]!;
    await audited(tx, { actor, now }, 'plan_path.create', 'plan_path', view.id, undefined, plainAudit(view));
    return view;
  });
}

export async function replacePlanPath(db: Db, id: number, input: PlanPathInput, now: Date, actor: Principal): Promise<PlanPathView> {
  return db.transaction(async (tx) => {
    await bumpRevision(tx, now);
    const before = (await pathViews(tx, [id]))[0];
    if (!before) throw notFound('path', id);
    const refs = await resolvePathRefs(tx, input);
    await pathFree(tx, refs, input, id);
    await tx.update(planPaths).set({ ...pathColumns(refs, input), updatedAt: now }).where(eq(planPaths.id, id));
    const view = (await pathViews(tx, [id]))[0]!;
    await audited(tx, { actor, now }, 'plan_path.update', 'plan_path', id, plainAudit(before), plainAudit(view));
    return view;
  });
}

export async function deletePlanPath(db: Db, id: number, now: Date, actor: Principal): Promise<void> {
  await db.transaction(async (tx) => {
    await bumpRevision(tx, now);
    const before = (await pathViews(tx, [id]))[0];
    if (!before) throw notFound('path', id);
    await tx.delete(planPaths).where(eq(planPaths.id, id));
    await audited(tx, { actor, now }, 'plan_path.delete', 'plan_path', id, plainAudit(before), undefined);
  });
}
