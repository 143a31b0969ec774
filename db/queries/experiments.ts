/**
 * Experiments the server asks of probes through their plans (issue 18): at most one per
 * probe × target × proxy × kind, made by the scheduler (server/experiments) from the
 * analysis and served in the probe's plan (db/queries/probe-plan.ts) while it runs.
 *
 *   running    served: the probe holds its canary
 *   concluded  a session of it concluded (held to its hold, a keepalive rung survived, or
 *              it died): no longer served, its sessions say what it found
 *   expired    none concluded in time (max(6 × hold or gap, 30 min)): no longer served
 *
 * A finished experiment (concluded or expired) holds back a new one asking the same
 * question for HOLD_BACK_MS; then expireExperiments removes it and the scheduler may ask
 * again. Every write is audited as the system (the scheduler), in the caller's transaction.
 */
import { and, asc, desc, eq, gt, isNull, lt, lte, sql } from 'drizzle-orm';
import { z } from 'zod';
import { experimentSchema, type ExperimentSpec, type ServerPlanWire } from '../../lib/contracts/plan';
import type { Executor } from '../client';
import { auditLog, canarySessions as s, planExperiments as e, probes, type ExperimentSignature } from '../schema';
import { CLOSED_BY_ENDPOINT } from './drop-values';
import { instant } from './literals';
import { profileColumns, profileSettingsWire } from './plans';

export type ExperimentKind = (typeof e.$inferSelect)['kind'];
/** An experiment's profile as stored: the probe's parsed form, durations in ms. */
export type ExperimentProfile = ExperimentSpec['profile'];
/** An experiment as a served plan carries it. */
export type ServedExperiment = NonNullable<ServerPlanWire['experiments']>[number];
/** A profile as a served plan carries it: durations as formatPlanDuration strings. */
export type ExperimentProfileWire = ServedExperiment['profile'];
type ExperimentRow = typeof e.$inferSelect;

/** A finished experiment keeps a new one asking the same question away this long. */
export const HOLD_BACK_MS = 24 * 3_600_000;

/**
 * How far N may move before an experiment asks a different question. N is the median of a
 * signature's latest drops, re-estimated every minute: it wobbles by tens of ms, and a
 * replacement restarts a canary that may need 3 × N to conclude.
 */
export function nToleranceMs(nMs: number): number {
  return Math.max(1000, 0.02 * nMs);
}

/** What the scheduler asks of one probe on one path. */
export interface ExperimentRequest {
  probeId: number;
  target: string;
  proxy: string;
  kind: ExperimentKind;
  profile: ExperimentProfile;
  canaries: number;
  purpose: string;
  signature: ExperimentSignature;
  /** How long it may run without concluding before it expires. */
  expiresAfterMs: number;
}

export type EnsureAction = 'created' | 'replaced' | 'kept' | 'held back';

/** What a request carries besides the served experiment, checked for plausibility. */
const requestExtrasSchema = z.object({
  signature: z.strictObject({ key: z.string().min(1).max(64), nMs: z.number().positive().max(7 * 86_400_000), kind: z.string().min(1).max(32) }),
  expiresAfterMs: z.number().int().positive().max(7 * 86_400_000),
});

/** An experiment as GET /api/v1/plan/experiments answers it and the fleet page lists it. */
export interface ExperimentView {
  id: number;
  probe: string;
  target: string;
  proxy: string;
  kind: ExperimentKind;
  profile: ExperimentProfileWire;
  canaries: number;
  purpose: string;
  signature: ExperimentSignature;
  state: 'running' | 'concluded' | 'expired';
  createdAt: string;
  expiresAt: string;
  concludedAt: string | null;
}

export interface ConcludedExperiment {
  id: number;
  probeId: number;
  target: string;
  proxy: string;
  kind: ExperimentKind;
  /** `held`: reached its hold (or a keepalive rung survived); `died`: cut before. */
  outcome: 'held' | 'died';
  concludedAt: Date;
}

/** The profile in the plan's wire form, which the probe parses back to the same values: as a stored plan profile is served. */
export function profileWire(p: ExperimentProfile): ExperimentProfileWire {
  const { name, kind, settings } = profileColumns(p);
  return { name, ...profileSettingsWire(kind, settings) };
}

/** One experiment as the probe's plan serves it. */
export function experimentWire(row: Pick<ExperimentRow, 'id' | 'targetName' | 'proxyName' | 'profile' | 'canaries' | 'purpose'>): ServedExperiment {
  return { id: row.id, target: row.targetName, proxy: row.proxyName, profile: profileWire(row.profile), canaries: row.canaries, purpose: row.purpose };
}

/** The experiments a probe's plan serves at `now`: neither concluded nor expired, oldest first. */
export async function activeExperiments(db: Executor, probeId: number, now: Date): Promise<ExperimentRow[]> {
  return db
    .select()
    .from(e)
    .where(and(eq(e.probeId, probeId), isNull(e.concludedAt), gt(e.expiresAt, now)))
    .orderBy(asc(e.id))
    .limit(200);
}

function stateAt(row: ExperimentRow, now: Date): ExperimentView['state'] {
  if (row.concludedAt) return 'concluded';
  return row.expiresAt <= now ? 'expired' : 'running';
}

/** When it stopped being served; null while it runs. */
function finishedAt(row: ExperimentRow, now: Date): Date | null {
  return row.concludedAt ?? (row.expiresAt <= now ? row.expiresAt : null);
}

/** Every experiment still kept, newest first, with its state at `now`. */
export async function listExperiments(db: Executor, now: Date): Promise<ExperimentView[]> {
  const rows = await db.select({ e, probe: probes.name }).from(e).innerJoin(probes, eq(probes.id, e.probeId)).orderBy(desc(e.createdAt), desc(e.id)).limit(1000);
  return rows.map(({ e: row, probe }) => viewOf(row, probe, now));
}

function viewOf(row: ExperimentRow, probe: string, now: Date): ExperimentView {
  return {
    id: row.id,
    probe,
    target: row.targetName,
    proxy: row.proxyName,
    kind: row.kind,
    profile: profileWire(row.profile),
    canaries: row.canaries,
    purpose: row.purpose,
    signature: row.signature,
    state: stateAt(row, now),
    createdAt: row.createdAt.toISOString(),
    expiresAt: row.expiresAt.toISOString(),
    concludedAt: row.concludedAt?.toISOString() ?? null,
  };
}

/** Whether `row` asks what `request` does: same profile kind and canaries, N within tolerance. */
function sameQuestion(row: ExperimentRow, request: ExperimentRequest): boolean {
  return (
    row.profile.kind === request.profile.kind &&
    row.canaries === request.canaries &&
    Math.abs(row.signature.nMs - request.signature.nMs) <= nToleranceMs(request.signature.nMs)
  );
}

/**
 * Make sure `request` is asked of its probe: create it; keep a running one asking the same
 * question (N within nToleranceMs), and a finished one for HOLD_BACK_MS; replace one whose
 * question changed, or a finished one past the hold-back (a replacement has a new id: the
 * probe starts its canary afresh). Call it in a transaction: a replacement is a delete and
 * an insert.
 *
 * @throws ZodError when the request would not make a valid served experiment, or its N or
 *   lifetime is implausible (the field named).
 */
export async function ensureExperiment(db: Executor, request: ExperimentRequest, now: Date): Promise<{ action: EnsureAction; id: number }> {
  // What the probe will parse, checked before anything is written.
  requestExtrasSchema.parse({ signature: request.signature, expiresAfterMs: request.expiresAfterMs });
  experimentSchema.parse({ id: 1, target: request.target, proxy: request.proxy, profile: profileWire(request.profile), canaries: request.canaries, purpose: request.purpose });
  const key = and(eq(e.probeId, request.probeId), eq(e.targetName, request.target), eq(e.proxyName, request.proxy), eq(e.kind, request.kind));
  const [existing] = await db.select().from(e).where(key);
  if (existing && sameQuestion(existing, request)) {
    const finished = finishedAt(existing, now);
    if (finished === null) return { action: 'kept', id: existing.id };
    if (now.getTime() - finished.getTime() < HOLD_BACK_MS) return { action: 'held back', id: existing.id };
  }
  if (existing) await db.delete(e).where(eq(e.id, existing.id));
  const [made] = await db
    .insert(e)
    .values({
      probeId: request.probeId,
      targetName: request.target,
      proxyName: request.proxy,
      kind: request.kind,
      profile: request.profile,
      purpose: request.purpose,
      signature: request.signature,
      canaries: request.canaries,
      createdAt: now,
      expiresAt: new Date(now.getTime() + request.expiresAfterMs),
    })
    .returning();
  await auditBySystem(db, { action: existing ? 'plan_experiment.replace' : 'plan_experiment.create', subjectId: made!.id, before: existing ? auditOf(existing) : null, after: auditOf(made!) }, now);
  return { action: existing ? 'replaced' : 'created', id: made!.id };
}

/**
 * A session that concludes an experiment: held (the probe ended it on purpose at its hold,
 * `hold: ...`, or a keepalive rung survived its gap, `keepalive: ...`), or died (ended by
 * anything but the probe and the endpoint's own decision, CLOSED_BY_ENDPOINT: a restart's
 * 1001/1012/1013 says nothing about the path). A probe stop or a plan change ends it as
 * probe_closed with another reason: inconclusive, as is a dial that failed.
 */
const HELD = sql`(${s.endKind} = 'probe_closed' and (${s.closeReason} like 'hold:%' or ${s.closeReason} like 'keepalive:%'))`;
const DIED = sql`(${s.endKind} <> 'probe_closed' and not coalesce(${CLOSED_BY_ENDPOINT}, false))`;

/** How far behind the server's clock a probe's may be for its sessions to count for an experiment. */
const CLOCK_SKEW_S = 120;

/**
 * Mark concluded every experiment one of whose sessions (same probe, target, proxy and
 * profile label, dialled while it was served) concluded by `now`; it is dated by that
 * session's end. Returns those marked.
 */
export async function concludeExperiments(db: Executor, now: Date): Promise<ConcludedExperiment[]> {
  const found = await db
    .selectDistinctOn([e.id], { row: e, endedAt: s.endedAt, held: sql<boolean>`${HELD}`, endKind: s.endKind, closeReason: s.closeReason, durationMs: s.durationMs })
    .from(e)
    .innerJoin(
      s,
      and(
        eq(s.probeId, e.probeId),
        eq(s.targetName, e.targetName),
        eq(s.proxyName, e.proxyName),
        eq(s.profile, sql`${e.profile}->>'name'`),
        // The probe dates its dials by its own clock: one a little behind the server's must
        // not lose the experiment's first session.
        sql`${s.attemptedAt} >= ${e.createdAt} - ${sql.raw(`interval '${CLOCK_SKEW_S} seconds'`)}`,
        lt(s.attemptedAt, e.expiresAt),
      ),
    )
    .where(and(isNull(e.concludedAt), lte(s.endedAt, now), sql`(${HELD} or ${DIED})`))
    .orderBy(asc(e.id), asc(s.endedAt));
  const out: ConcludedExperiment[] = [];
  for (const f of found) {
    const concludedAt = f.endedAt!;
    const outcome = f.held ? 'held' : 'died';
    await db.update(e).set({ concludedAt }).where(and(eq(e.id, f.row.id), isNull(e.concludedAt)));
    await auditBySystem(
      db,
      { action: 'plan_experiment.conclude', subjectId: f.row.id, before: auditOf(f.row), after: { ...auditOf({ ...f.row, concludedAt }), outcome, session: { endKind: f.endKind, closeReason: f.closeReason, durationMs: f.durationMs } } },
      now,
    );
    out.push({ id: f.row.id, probeId: f.row.probeId, target: f.row.targetName, proxy: f.row.proxyName, kind: f.row.kind, outcome, concludedAt });
  }
  return out;
}

/**
 * Remove the experiments finished (concluded or expired) more than HOLD_BACK_MS before
 * `now`: they hold nothing back any more, and their sessions and the audit log keep what
 * they found. Returns the ids removed.
 */
export async function expireExperiments(db: Executor, now: Date): Promise<number[]> {
  const horizon = instant(new Date(now.getTime() - HOLD_BACK_MS));
  const gone = await db.delete(e).where(sql`coalesce(${e.concludedAt}, ${e.expiresAt}) <= ${horizon}`).returning();
  for (const row of gone) await auditBySystem(db, { action: 'plan_experiment.delete', subjectId: row.id, before: auditOf(row), after: null }, now);
  return gone.map((r) => r.id);
}

/** An experiment as the audit log shows it. */
function auditOf(row: ExperimentRow): Record<string, unknown> {
  return {
    probeId: row.probeId,
    target: row.targetName,
    proxy: row.proxyName,
    kind: row.kind,
    profile: profileWire(row.profile),
    canaries: row.canaries,
    purpose: row.purpose,
    signature: row.signature,
    createdAt: row.createdAt.toISOString(),
    expiresAt: row.expiresAt.toISOString(),
    concludedAt: row.concludedAt?.toISOString() ?? null,
  };
}

/** The audit log's name for the scheduler's writes (actor kind `system`). */
export const EXPERIMENTS_ACTOR = 'experiment scheduler';

/**
 * An audit record of a write nobody asked for: recordAudit (db/queries/audit.ts) takes a
 * Principal, and no principal is the server itself. What is recorded holds no secret
 * (names, profiles, instants).
 */
async function auditBySystem(db: Executor, entry: { action: string; subjectId: number; before: unknown; after: unknown }, now: Date): Promise<void> {
  await db.insert(auditLog).values({
    at: now,
    actorKind: 'system',
    actorId: null,
    actorName: EXPERIMENTS_ACTOR,
    action: entry.action,
    subjectKind: 'plan_experiment',
    subjectId: String(entry.subjectId),
    before: entry.before,
    after: entry.after,
  });
}
