/**
 * The handlers of the four kinds of plan entry (targets, proxies, profiles, paths): each
 * kind's route files are the same POST, GET, PUT and DELETE over its own schema and store
 * functions, so they are made here once rather than written four times.
 */
import type { z } from 'zod';
import type { Db } from '@/db/client';
import { getDatabase } from '@/db/client';
import { PlanError, type PlanKind } from '@/db/queries/plans';
import type { Principal } from '@/lib/auth/roles';
import { parseId, parseJsonBody } from '@/lib/http/json-input';
import { withDatabaseErrors } from '@/app/api/v1/database-errors';
import { writingPrincipal } from '@/server/auth/current';
import { canEditPlan } from './can-edit';
import { planErrorResponse } from './respond';

export interface EntryStore<S extends z.ZodType, V extends { id: number }> {
  kind: PlanKind;
  /** The URL segment: `targets`, `proxies`, ... */
  segment: string;
  schema: S;
  get(db: Db, id: number): Promise<V | null>;
  create(db: Db, input: z.output<S>, now: Date, actor: Principal): Promise<V>;
  replace(db: Db, id: number, input: z.output<S>, now: Date, actor: Principal): Promise<V>;
  remove(db: Db, id: number, now: Date, actor: Principal): Promise<void>;
  /** What a viewer may see of an entry, when less than an editor. */
  forViewer?: (entry: V) => V;
}

type Ctx = { params: Promise<{ id: string }> };

/** POST /api/v1/plan/<kind>s: 201 with the entry and its location, or 400/409 naming the field. */
export function createHandler<S extends z.ZodType, V extends { id: number }>(store: EntryStore<S, V>) {
  return withDatabaseErrors(async function POST(request: Request): Promise<Response> {
    const body = await parseJsonBody(request, store.schema);
    if (!body.ok) return body.response;
    try {
      const made = await store.create(getDatabase().db, body.data, new Date(), writingPrincipal());
      return Response.json(made, { status: 201, headers: { location: `/api/v1/plan/${store.segment}/${made.id}` } });
    } catch (err) {
      return planErrorResponse(err);
    }
  });
}

/** GET, PUT and DELETE /api/v1/plan/<kind>s/:id. */
export function itemHandlers<S extends z.ZodType, V extends { id: number }>(store: EntryStore<S, V>) {
  const GET = withDatabaseErrors(async function GET(_request: Request, ctx: Ctx): Promise<Response> {
    const id = parseId((await ctx.params).id);
    if (!id.ok) return id.response;
    const found = await store.get(getDatabase().db, id.data);
    if (!found) return planErrorResponse(new PlanError('PLAN_ERR_NOT_FOUND', `no plan ${store.kind} with id ${id.data}`));
    const shown = store.forViewer && !canEditPlan() ? store.forViewer(found) : found;
    return Response.json(shown, { headers: { 'cache-control': 'no-store' } });
  });
  const PUT = withDatabaseErrors(async function PUT(request: Request, ctx: Ctx): Promise<Response> {
    const id = parseId((await ctx.params).id);
    if (!id.ok) return id.response;
    const body = await parseJsonBody(request, store.schema);
    if (!body.ok) return body.response;
    try {
      return Response.json(await store.replace(getDatabase().db, id.data, body.data, new Date(), writingPrincipal()));
    } catch (err) {
      return planErrorResponse(err);
    }
  });
  const DELETE = withDatabaseErrors(async function DELETE(_request: Request, ctx: Ctx): Promise<Response> {
    const id = parseId((await ctx.params).id);
    if (!id.ok) return id.response;
    try {
      await store.remove(getDatabase().db, id.data, new Date(), writingPrincipal());
      return new Response(null, { status: 204 });
    } catch (err) {
      return planErrorResponse(err);
    }
  });
  return { GET, PUT, DELETE };
}

