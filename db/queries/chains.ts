/**
 * Chains of entry points (issue 18): a service's entry points in order, outermost first (the
 * CDN's, the load balancer's, the app's), as target names. The analysis reads them
 * (chainList) to say between which two entry points a cut happens; editors write them
 * through /api/v1/plan/chains, audited as the other plan writes.
 *
 * Probes never read chains, so a write leaves the plan's revision alone (and does not queue
 * behind plan writes on its row). A name is unique by the table's constraint: two writes
 * racing for one name both pass the check below, and the loser's unique violation answers
 * as the check would have.
 */
import { asc, eq } from 'drizzle-orm';
import type { Principal } from '../../lib/auth/roles';
import type { Chain } from '../../lib/diagnosis/types';
import type { PlanChainInput } from '../../lib/plans/input';
import type { PlanChainView } from '../../lib/plans/types';
import type { Db, Executor, Tx } from '../client';
import { planChains } from '../schema';
import { recordAudit } from './audit';
import { isUniqueViolation } from './pg-errors';
import { notFound, plainAudit, PlanError } from './plans';

type ChainRow = typeof planChains.$inferSelect;

function chainView(row: ChainRow): PlanChainView {
  return { id: row.id, name: row.name, hops: row.hops, createdAt: row.createdAt.toISOString(), updatedAt: row.updatedAt.toISOString() };
}

/** Every chain as the diagnosis reads it, by name. */
export async function chainList(db: Executor): Promise<Chain[]> {
  return db.select({ name: planChains.name, hops: planChains.hops }).from(planChains).orderBy(asc(planChains.name));
}

/** Every chain as GET /api/v1/plan/chains answers, by name. */
export async function listPlanChains(db: Executor): Promise<PlanChainView[]> {
  return (await db.select().from(planChains).orderBy(asc(planChains.name))).map(chainView);
}

export async function getPlanChain(db: Executor, id: number): Promise<PlanChainView | null> {
  const [row] = await db.select().from(planChains).where(eq(planChains.id, id));
  return row ? chainView(row) : null;
}

const taken = (name: string) => new PlanError('PLAN_ERR_NAME_TAKEN', `a chain named "${name}" already exists`, 'name');

async function nameFree(tx: Tx, name: string, exceptId?: number): Promise<void> {
  const [other] = await tx.select({ id: planChains.id }).from(planChains).where(eq(planChains.name, name));
  if (other && other.id !== exceptId) throw taken(name);
}

/** A write whose unique violation (a name taken by a concurrent write) answers PLAN_ERR_NAME_TAKEN. */
async function write<T>(db: Db, name: string, body: (tx: Tx) => Promise<T>): Promise<T> {
  try {
    return await db.transaction(body);
  } catch (err) {
    if (isUniqueViolation(err)) throw taken(name);
    throw err;
  }
}

const audit = (tx: Tx, actor: Principal, now: Date, action: string, id: number, before: PlanChainView | undefined, after: PlanChainView | undefined) =>
  recordAudit(tx, actor, { action: `plan_chain.${action}`, subjectKind: 'plan_chain', subjectId: id, ...(before && { before: plainAudit(before) }), ...(after && { after: plainAudit(after) }) }, now);

export async function createPlanChain(db: Db, input: PlanChainInput, now: Date, actor: Principal): Promise<PlanChainView> {
  return write(db, input.name, async (tx) => {
    await nameFree(tx, input.name);
    const [row] = await tx.insert(planChains).values({ name: input.name, hops: input.hops, createdAt: now, updatedAt: now }).returning();
    const view = chainView(row!);
    await audit(tx, actor, now, 'create', view.id, undefined, view);
    return view;
  });
}

export async function replacePlanChain(db: Db, id: number, input: PlanChainInput, now: Date, actor: Principal): Promise<PlanChainView> {
  return write(db, input.name, async (tx) => {
    const [before] = await tx.select().from(planChains).where(eq(planChains.id, id));
    if (!before) throw notFound('chain', id);
    await nameFree(tx, input.name, id);
    const [row] = await tx.update(planChains).set({ name: input.name, hops: input.hops, updatedAt: now }).where(eq(planChains.id, id)).returning();
    const view = chainView(row!);
    await audit(tx, actor, now, 'update', id, chainView(before), view);
    return view;
  });
}

export async function deletePlanChain(db: Db, id: number, now: Date, actor: Principal): Promise<void> {
  await db.transaction(async (tx) => {
    const [before] = await tx.delete(planChains).where(eq(planChains.id, id)).returning();
    if (!before) throw notFound('chain', id);
    await audit(tx, actor, now, 'delete', id, chainView(before), undefined);
  });
}
