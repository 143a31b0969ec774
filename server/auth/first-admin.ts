/**
 * The first admin. An empty database is set up one of two ways, keeping the quick start two
 * commands: DROPSCOPE_ADMIN_EMAIL and DROPSCOPE_ADMIN_PASSWORD create the admin at start
 * (unattended installs, tests), or the start prints a one-time setup link, valid for a day,
 * whose page creates the admin (db/queries/setup.ts). Once anyone has an account, no link
 * is made and every outstanding one stops working.
 */
import type { Database } from '../../db/client';
import { isUniqueViolation } from '../../db/queries/pg-errors';
import { issueSetupToken } from '../../db/queries/setup';
import { countUsers, createPasswordUser, UserExistsError } from '../../db/queries/users';
import type { AuthConfig } from '../../lib/config/auth-env';
import type { Logger } from '../../lib/log';

export const SETUP_LINK_TTL_MS = 24 * 3_600_000;

/** Create the configured admin, or return a setup link's token; null when people exist already. */
export async function ensureFirstAdmin(database: Database, config: AuthConfig, log: Logger, now: Date): Promise<{ setupToken: string } | null> {
  if ((await countUsers(database.db)) > 0) return null;
  if (config.DROPSCOPE_ADMIN_EMAIL && config.DROPSCOPE_ADMIN_PASSWORD) {
    try {
      await createPasswordUser(database.db, { email: config.DROPSCOPE_ADMIN_EMAIL, name: 'admin', role: 'admin', password: config.DROPSCOPE_ADMIN_PASSWORD }, now);
      log.info({ email: config.DROPSCOPE_ADMIN_EMAIL }, 'first admin created from DROPSCOPE_ADMIN_EMAIL');
    } catch (err) {
      // Another server starting at the same moment created it.
      if (!(err instanceof UserExistsError) && !isUniqueViolation(err)) throw err;
    }
    return null;
  }
  return { setupToken: await issueSetupToken(database.db, new Date(now.getTime() + SETUP_LINK_TTL_MS), now) };
}
