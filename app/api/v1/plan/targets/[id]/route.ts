import { itemHandlers } from '../../entry-handlers';
import { targets } from '../../stores';

export const dynamic = 'force-dynamic';

const handlers = itemHandlers(targets);
/** GET /api/v1/plan/targets/:id (viewers); PUT replaces it, DELETE removes it (editors). */
export const GET = handlers.GET;
export const PUT = handlers.PUT;
export const DELETE = handlers.DELETE;
