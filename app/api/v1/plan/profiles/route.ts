import { createHandler } from '../entry-handlers';
import { profiles } from '../stores';

export const dynamic = 'force-dynamic';

/** POST /api/v1/plan/profiles: create one (editors). */
export const POST = createHandler(profiles);
