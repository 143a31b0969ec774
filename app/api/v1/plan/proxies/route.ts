import { createHandler } from '../entry-handlers';
import { proxies } from '../stores';

export const dynamic = 'force-dynamic';

/** POST /api/v1/plan/proxies: create one (editors). */
export const POST = createHandler(proxies);
