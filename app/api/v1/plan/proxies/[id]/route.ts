import { itemHandlers } from '../../entry-handlers';
import { proxies } from '../../stores';

export const dynamic = 'force-dynamic';

const handlers = itemHandlers(proxies);
/** GET /api/v1/plan/proxies/:id (viewers); PUT replaces it, DELETE removes it (editors). */
export const GET = handlers.GET;
export const PUT = handlers.PUT;
export const DELETE = handlers.DELETE;
