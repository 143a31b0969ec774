import { itemHandlers } from '../../entry-handlers';
import { chains } from '../store';

export const dynamic = 'force-dynamic';

const handlers = itemHandlers(chains);
/** GET /api/v1/plan/chains/:id (viewers); PUT replaces it, DELETE removes it (editors). */
export const GET = handlers.GET;
export const PUT = handlers.PUT;
export const DELETE = handlers.DELETE;
