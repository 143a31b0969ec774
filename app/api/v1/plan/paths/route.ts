import { createHandler } from '../entry-handlers';
import { paths } from '../stores';

export const dynamic = 'force-dynamic';

/** POST /api/v1/plan/paths: create one (editors). */
export const POST = createHandler(paths);
