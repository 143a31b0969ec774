import { itemHandlers } from '../../entry-handlers';
import { profiles } from '../../stores';

export const dynamic = 'force-dynamic';

const handlers = itemHandlers(profiles);
/** GET /api/v1/plan/profiles/:id (viewers); PUT replaces it, DELETE removes it (editors). */
export const GET = handlers.GET;
export const PUT = handlers.PUT;
export const DELETE = handlers.DELETE;
