import { itemHandlers } from '../../entry-handlers';
import { paths } from '../../stores';

export const dynamic = 'force-dynamic';

const handlers = itemHandlers(paths);
/** GET /api/v1/plan/paths/:id (viewers); PUT replaces it, DELETE removes it (editors). */
export const GET = handlers.GET;
export const PUT = handlers.PUT;
export const DELETE = handlers.DELETE;
