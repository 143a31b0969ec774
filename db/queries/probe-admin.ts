/**
 * Probe administration by id, for the dashboard's API (app/api/v1/probes/**): register a
 * probe or a standalone canary target, set its labels, give it a new token, revoke it.
 * Tokens are the scheme of db/queries/probes.ts: `dsp_<probe id>_<43 base64url chars>`,
 * shown once, only the sha256 of the whole token stored (`hashToken`).
 *
 * Every function takes an Executor, so a route runs it in the transaction that also writes
 * the audit entry (db/queries/audit.ts): both land or neither.
 */
import { randomBytes } from 'node:crypto';
import { and, asc, eq, isNull } from 'drizzle-orm';
import type { Executor } from '../client';
import { probes } from '../schema';
import { closeSessionsOfRevokedProbe } from './ingest-lost';
import { isUniqueViolation } from './pg-errors';
import { addProbe, hashToken, ProbeExistsError, type ProbeKind } from './probes';

export type { ProbeKind } from './probes';

/** What an admin sees of a probe: never its token or the token's hash. */
export interface ProbeAdminRecord {
  id: number;
  name: string;
  kind: ProbeKind;
  labels: Record<string, string>;
  createdAt: Date;
  lastSeenAt: Date | null;
  revokedAt: Date | null;
}

const columns = {
  id: probes.id,
  name: probes.name,
  kind: probes.kind,
  labels: probes.labels,
  createdAt: probes.createdAt,
  lastSeenAt: probes.lastSeenAt,
  revokedAt: probes.revokedAt,
};

/**
 * A new token for probe `id`, as addProbe makes them (db/queries/probes.ts does not export
 * its minting): 32 random bytes are the 43 base64url characters that authenticateProbe,
 * the agent's config and dropscope-target accept.
 */
export function mintProbeToken(id: number): string {
  return `dsp_${id}_${randomBytes(32).toString('base64url')}`;
}

/**
 * Register a probe or a canary target. Returns its token, which is never retrievable again.
 * Throws ProbeExistsError (`PROBE_ERR_EXISTS`) when the name is taken, by a revoked probe too.
 */
export async function createProbe(
  db: Executor,
  input: { name: string; labels: Record<string, string>; kind: ProbeKind },
): Promise<{ probe: ProbeAdminRecord; token: string }> {
  try {
    const { probe, token } = await addProbe(db, input);
    const { id, name, kind, labels, createdAt, lastSeenAt, revokedAt } = probe;
    return { probe: { id, name, kind, labels, createdAt, lastSeenAt, revokedAt }, token };
  } catch (err) {
    // Two admins adding the same name at once: the unique index decides.
    if (isUniqueViolation(err)) throw new ProbeExistsError(input.name);
    throw err;
  }
}

export async function getProbeById(db: Executor, id: number): Promise<ProbeAdminRecord | null> {
  const [row] = await db.select(columns).from(probes).where(eq(probes.id, id));
  return row ?? null;
}

/** Every probe and target by name, with its id and kind (the probes page's admin controls). */
export async function listProbesForAdmin(db: Executor): Promise<ProbeAdminRecord[]> {
  return db.select(columns).from(probes).orderBy(asc(probes.name));
}

/** Replace a probe's labels; null when there is no such probe. */
export async function setProbeLabels(db: Executor, id: number, labels: Record<string, string>): Promise<ProbeAdminRecord | null> {
  const [row] = await db.update(probes).set({ labels }).where(eq(probes.id, id)).returning(columns);
  return row ?? null;
}

/**
 * Give probe `id` a new token: the old one is refused from this statement's commit on
 * (authenticateProbe reads the hash on every request). Un-revokes a revoked probe. Null
 * when there is no such probe.
 */
export async function rotateProbeToken(db: Executor, id: number): Promise<{ probe: ProbeAdminRecord; token: string } | null> {
  const token = mintProbeToken(id);
  const [row] = await db.update(probes).set({ tokenHash: hashToken(token), revokedAt: null }).where(eq(probes.id, id)).returning(columns);
  return row ? { probe: row, token } : null;
}

/**
 * Revoke probe `id`: its token is refused, its data stays. Revoking a revoked probe changes
 * nothing (`changed: false`, its first revocation time kept). Null when there is no such probe.
 */
export async function revokeProbeById(db: Executor, id: number, now: Date): Promise<{ probe: ProbeAdminRecord; changed: boolean } | null> {
  return db.transaction(async (tx) => {
    const [row] = await tx
      .update(probes)
      .set({ revokedAt: now })
      .where(and(eq(probes.id, id), isNull(probes.revokedAt)))
      .returning(columns);
    // Its open canaries are closed as lost with it (issue 19): it may not post their ends any more.
    if (row) {
      await closeSessionsOfRevokedProbe(tx, row.id, now);
      return { probe: row, changed: true };
    }
    const existing = await getProbeById(tx, id);
    return existing && { probe: existing, changed: false };
  });
}
