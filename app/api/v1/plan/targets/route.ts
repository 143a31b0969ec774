import { createHandler } from '../entry-handlers';
import { targets } from '../stores';

export const dynamic = 'force-dynamic';

/** POST /api/v1/plan/targets: create one (editors). */
export const POST = createHandler(targets);
