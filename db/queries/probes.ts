/**
 * Probe registration and token authentication. A token is `dsp_<probe id>_<secret>`; only
 * the sha256 of the whole token is stored. The id prefix lets us fetch exactly one hash
 * and compare it in constant time, instead of looking tokens up by their hash.
 */
import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import { and, asc, eq, isNull } from 'drizzle-orm';
import type { Executor } from '../client';
import { probes } from '../schema';
import { closeSessionsOfRevokedProbe } from './ingest-lost';

/**
 * What a token may post: `probe` its own sessions; `target` (a standalone canary target,
 * `dropscope-target`) only its views of the sessions that reached it (lib/ingest/access.ts).
 */
export type ProbeKind = 'probe' | 'target';
export const PROBE_KINDS: readonly ProbeKind[] = ['probe', 'target'];

export interface ProbeRecord {
  id: number;
  name: string;
  kind: ProbeKind;
  labels: Record<string, string>;
  agentVersion: string | null;
  createdAt: Date;
  firstSeenAt: Date | null;
  lastSeenAt: Date | null;
  revokedAt: Date | null;
  spoolDepth: number | null;
  canariesOpen: number | null;
}

const TOKEN_RE = /^dsp_([1-9][0-9]{0,9})_([A-Za-z0-9_-]{43})$/;

export function hashToken(token: string): string {
  return createHash('sha256').update(token).digest('hex');
}

export class ProbeExistsError extends Error {
  readonly code = 'PROBE_ERR_EXISTS';
  constructor(name: string) {
    super(`a probe named "${name}" already exists`);
  }
}

export class ProbeNotFoundError extends Error {
  readonly code = 'PROBE_ERR_NOT_FOUND';
  constructor(name: string) {
    super(`no probe named "${name}"`);
  }
}

const recordColumns = {
  id: probes.id,
  name: probes.name,
  kind: probes.kind,
  labels: probes.labels,
  agentVersion: probes.agentVersion,
  createdAt: probes.createdAt,
  firstSeenAt: probes.firstSeenAt,
  lastSeenAt: probes.lastSeenAt,
  revokedAt: probes.revokedAt,
  spoolDepth: probes.spoolDepth,
  canariesOpen: probes.canariesOpen,
};

/** Register a probe (`kind` default `probe`). Returns its token, which is never retrievable again. */
export async function addProbe(
  db: Executor,
  input: { name: string; labels: Record<string, string>; kind?: ProbeKind },
): Promise<{ probe: ProbeRecord; token: string }> {
  return db.transaction(async (tx) => {
    const existing = await tx.select({ id: probes.id }).from(probes).where(eq(probes.name, input.name));
    if (existing.length > 0) throw new ProbeExistsError(input.name);
    // The hash depends on the id, so insert with a placeholder and set it in the same transaction.
    const [row] = await tx.insert(probes).values({ name: input.name, labels: input.labels, kind: input.kind ?? 'probe', tokenHash: '' }).returning(recordColumns);
    if (!row) throw new Error('insert returned no row');
    const token = `dsp_${row.id}_${randomBytes(32).toString('base64url')}`;
    await tx.update(probes).set({ tokenHash: hashToken(token) }).where(eq(probes.id, row.id));
    return { probe: row, token };
  });
}

/**
 * Give an existing probe a new token (the old one stops working), or register it if it
 * does not exist. Used by the built-in demo probe, which keeps its token only in memory.
 * The probe takes `kind` (default `probe`) either way.
 */
export async function issueProbeToken(
  db: Executor,
  input: { name: string; labels: Record<string, string>; kind?: ProbeKind },
): Promise<{ probe: ProbeRecord; token: string }> {
  return db.transaction(async (tx) => {
    const [existing] = await tx.select({ id: probes.id }).from(probes).where(eq(probes.name, input.name));
    if (!existing) return addProbe(tx, input);
    const token = `dsp_${existing.id}_${randomBytes(32).toString('base64url')}`;
    const [row] = await tx
      .update(probes)
      .set({ tokenHash: hashToken(token), revokedAt: null, labels: input.labels, kind: input.kind ?? 'probe' })
      .where(eq(probes.id, existing.id))
      .returning(recordColumns);
    return { probe: row!, token };
  });
}

export async function listProbes(db: Executor): Promise<ProbeRecord[]> {
  return db.select(recordColumns).from(probes).orderBy(asc(probes.name));
}

/**
 * Revoke a probe's token: its data stays, its requests are refused. Its open canaries are
 * closed as lost in the same transaction (issue 19): it may not post their ends any more.
 */
export async function revokeProbe(db: Executor, name: string, now: Date): Promise<ProbeRecord> {
  return db.transaction(async (tx) => {
    const [row] = await tx
      .update(probes)
      .set({ revokedAt: now })
      .where(and(eq(probes.name, name), isNull(probes.revokedAt)))
      .returning(recordColumns);
    if (row) {
      await closeSessionsOfRevokedProbe(tx, row.id, now);
      return row;
    }
    const [existing] = await tx.select(recordColumns).from(probes).where(eq(probes.name, name));
    if (!existing) throw new ProbeNotFoundError(name);
    return existing;
  });
}

/** Who posts with a token: the probe (or target) and what it may post. */
export interface AuthenticatedProbe {
  id: number;
  name: string;
  kind: ProbeKind;
}

/** The probe a bearer token belongs to, or null for a malformed, unknown or revoked token. */
export async function authenticateProbe(db: Executor, token: string): Promise<AuthenticatedProbe | null> {
  const m = TOKEN_RE.exec(token);
  if (!m) return null;
  const [row] = await db
    .select({ id: probes.id, name: probes.name, kind: probes.kind, tokenHash: probes.tokenHash, revokedAt: probes.revokedAt })
    .from(probes)
    .where(eq(probes.id, Number(m[1])));
  const presented = Buffer.from(hashToken(token), 'hex');
  // Compare against something of the right length even when the id is unknown, so the
  // response time does not tell which probe ids exist.
  const stored = Buffer.from(row?.tokenHash || '0'.repeat(64), 'hex');
  const equal = stored.length === presented.length && timingSafeEqual(stored, presented);
  if (!row || !equal || row.revokedAt) return null;
  return { id: row.id, name: row.name, kind: row.kind };
}
