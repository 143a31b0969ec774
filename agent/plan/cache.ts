/**
 * The last server plan the probe applied, kept in its spool directory
 * (`server-plan.json`: `{etag, doc}`), so a probe restarted while the backend is down keeps
 * running the server's paths. The doc is the plan as the server sent it: its proxy URLs hold
 * `${VAR}` placeholders, never the credentials, which are resolved again from the
 * environment at each start. Written whole to a temporary file and renamed over the old one,
 * so a crash leaves the old plan or the new one, never half of one.
 */
import { mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import type { Logger } from '../../lib/log';
import { serverPlanSchema, type ServerPlan } from '../../lib/contracts/plan';

export const PLAN_CACHE_FILE = 'server-plan.json';

export interface CachedPlan {
  etag: string | null;
  plan: ServerPlan;
  /** As the server sent it (what is written back). */
  wire: unknown;
}

/** The cached plan, or null when there is none or it is unreadable (said in the log: the server sends it again). */
export function readPlanCache(dir: string, log: Logger): CachedPlan | null {
  const file = path.join(dir, PLAN_CACHE_FILE);
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') log.warn({ err, file }, 'cannot read the cached server plan: starting without it');
    return null;
  }
  let stored: { etag?: unknown; doc?: unknown };
  try {
    stored = JSON.parse(text) as { etag?: unknown; doc?: unknown };
  } catch {
    log.warn({ file }, 'the cached server plan is not JSON: starting without it');
    return null;
  }
  const parsed = serverPlanSchema.safeParse(stored?.doc);
  if (!parsed.success) {
    log.warn({ file, issue: parsed.error.issues[0]?.path.join('.') }, 'the cached server plan does not parse (written by another agent version?): starting without it');
    return null;
  }
  return { etag: typeof stored.etag === 'string' ? stored.etag : null, plan: parsed.data, wire: stored.doc };
}

/**
 * Replace the cached plan. A failure is logged, not thrown: the plan runs anyway, and only a
 * restart during an outage would miss it.
 */
export function writePlanCache(dir: string, entry: { etag: string | null; wire: unknown }, log: Logger): boolean {
  const file = path.join(dir, PLAN_CACHE_FILE);
  const tmp = `${file}.${process.pid}.tmp`;
  try {
    mkdirSync(dir, { recursive: true });
    writeFileSync(tmp, JSON.stringify({ etag: entry.etag, doc: entry.wire }), { mode: 0o600 });
    renameSync(tmp, file);
    return true;
  } catch (err) {
    log.warn({ err, file }, 'cannot write the server plan cache: a restart while the backend is down would run only the local paths');
    return false;
  }
}
