/**
 * zod schemas for what GET /api/v1/paths, /api/v1/paths/:id and /api/v1/probes answer: the
 * live pages parse every refetched answer with these before trusting it. The interfaces in
 * ./types stay the source of truth; the checks at the bottom keep both from drifting apart.
 */
import { z } from 'zod';
import { findingKinds } from '../analysis/findings';
import { endKinds, outcomes, profileKinds, proxyKinds } from '../contracts/ingest';
import type { Same } from '../realtime/same-shape';
import { HEALTH_LEVELS } from './health';
import { PHASES, type PathDetail, type PathsMatrix, type ProbesReport } from './types';

const ms = z.number().nullable();
const iso = z.string();

export const pathCellSchema = z.object({
  id: z.string(),
  target: z.string(),
  proxy: z.string(),
  probe: z.string().nullable(),
  attempts: z.number().int().nonnegative(),
  opened: z.number().int().nonnegative(),
  upgradeRatio: z.number().nullable(),
  ended: z.number().int().nonnegative(),
  drops: z.number().int().nonnegative(),
  dropShare: z.number().nullable(),
  dropsPerHour: z.number().nullable(),
  dataMs: z.number().nonnegative(),
  medianLifetimeMs: ms,
  medianDropLifetimeMs: ms,
  probeClosed: z.number().int().nonnegative(),
  lastAttemptAt: iso,
  health: z.enum(HEALTH_LEVELS),
});

export const pathsMatrixSchema = z.object({
  from: iso,
  to: iso,
  byProbe: z.boolean(),
  medianLifetimeRelativeError: z.number().nonnegative(),
  targets: z.array(z.string()),
  proxies: z.array(z.string()),
  probes: z.array(z.string()),
  cells: z.array(pathCellSchema),
});

const pathSessionRowSchema = z.object({
  id: z.string(),
  probeId: z.number(),
  probeName: z.string(),
  targetName: z.string(),
  targetUrl: z.string(),
  proxyName: z.string(),
  proxyKind: z.enum(proxyKinds),
  proxyUrl: z.string().nullable(),
  profile: z.string(),
  profileKind: z.enum(profileKinds).nullable(),
  gapMs: ms,
  attemptedAt: iso,
  dnsMs: ms,
  tcpMs: ms,
  proxyMs: ms,
  tlsMs: ms,
  upgradeMs: ms,
  outcome: z.enum(outcomes).nullable(),
  httpStatus: z.number().nullable(),
  proxyReply: z.string().nullable(),
  errorCode: z.string().nullable(),
  errorMessage: z.string().nullable(),
  responseHeaders: z.record(z.string(), z.string()).nullable(),
  egressAddress: z.string().nullable(),
  openedAt: iso.nullable(),
  endedAt: iso.nullable(),
  durationMs: ms,
  sinceLastRecvMs: ms,
  sinceLastSentMs: ms,
  closeCode: z.number().nullable(),
  closeReason: z.string().nullable(),
  endKind: z.enum(endKinds).nullable(),
  bytesIn: z.number().nullable(),
  bytesOut: z.number().nullable(),
  messagesIn: z.number().nullable(),
  messagesOut: z.number().nullable(),
  rttCount: z.number().nullable(),
  rttMinMs: ms,
  rttMedianMs: ms,
  rttMaxMs: ms,
  targetView: z
    .object({
      peerAddress: z.string(),
      openedAt: iso,
      endedAt: iso,
      durationMs: z.number(),
      closeFrameReceived: z.boolean(),
      closeCode: z.number().nullable(),
      closeReason: z.string().nullable(),
      endKind: z.enum(endKinds),
      sinceLastRecvMs: z.number(),
      sinceLastSentMs: z.number(),
    })
    .nullable(),
  // Issue 19: open, but its probe has been silent for 3 heartbeats (db/queries/probe-silence.ts).
  probeSilent: z.boolean().optional(),
  lostAt: iso.nullable().optional(),
});

export const pathDetailSchema = z.object({
  id: z.string(),
  target: z.string(),
  proxy: z.string(),
  from: iso,
  to: iso,
  now: iso,
  medianLifetimeRelativeError: z.number().nonnegative(),
  summary: pathCellSchema.nullable(),
  timeline: z.object({
    sessions: z.array(
      z.object({
        id: z.string(),
        probe: z.string(),
        profile: z.string(),
        openedAt: iso,
        endedAt: iso.nullable(),
        endKind: z.string().nullable(),
        closeCode: z.number().nullable(),
        egressAddress: z.string().nullable(),
      }),
    ),
    total: z.number().int().nonnegative(),
    limit: z.number().int().positive(),
  }),
  egressChanges: z.array(z.object({ at: iso, probe: z.string(), previous: z.string(), address: z.string() })),
  rtt: z.object({
    bucketMs: z.number().positive(),
    points: z.array(z.object({ at: iso, count: z.number(), p50Ms: ms, p95Ms: ms, maxMs: z.number() })),
  }),
  phases: z.array(z.object({ phase: z.enum(PHASES), count: z.number(), p50Ms: ms, p95Ms: ms })),
  ladder: z.object({
    rungs: z.array(z.object({ probe: z.string(), target: z.string(), proxy: z.string(), gapMs: z.number(), survived: z.number(), died: z.number() })),
    findings: z.array(
      z.object({
        kind: z.enum(findingKinds),
        severity: z.enum(['critical', 'warning', 'info']),
        cause: z.string().optional(),
        title: z.string(),
        detail: z.string(),
        recommendation: z.string(),
        // lib/analysis/types.ts Fix: one fix per layer (lib/analysis/fixes.ts).
        fix: z
          .discriminatedUnion('kind', [
            z.object({ kind: z.literal('heartbeat'), intervalMs: z.number() }),
            z.object({ kind: z.literal('reconnect'), everyMs: z.number() }),
            z.object({ kind: z.literal('endpoint') }),
          ])
          .optional(),
        signature: z.string().optional(),
      }),
    ),
  }),
  sessions: z.array(pathSessionRowSchema),
});

/** Mirrors ProbePlanStatus (lib/plans/types.ts ProbePlanView plus fetchedForMs). */
const probePlanSchema = z.object({
  version: z.string().nullable(),
  revision: z.number().int().nullable(),
  fetchedAt: iso.nullable(),
  reportedAt: iso.nullable(),
  appliedVersion: z.string().nullable(),
  rejected: z.object({ version: z.string(), issues: z.array(z.object({ path: z.string(), message: z.string() })) }).nullable(),
  paths: z.array(
    z.object({
      source: z.enum(['server', 'local', 'experiment']),
      id: z.number().int().nullable(),
      target: z.string(),
      proxy: z.string(),
      profile: z.string(),
      canaries: z.number().int(),
      open: z.number().int(),
      connecting: z.number().int(),
      backoff: z.number().int(),
      state: z.enum(['running', 'unconfigured']),
      reason: z.string().nullable(),
      field: z.string().nullable(),
    }),
  ),
  truncated: z.boolean(),
  fetchedForMs: ms,
});

export const probesReportSchema = z.object({
  now: iso,
  onlineWithinMs: z.number().positive(),
  probes: z.array(
    z.object({
      name: z.string(),
      labels: z.record(z.string(), z.string()),
      agentVersion: z.string().nullable(),
      state: z.enum(['online', 'offline', 'never-seen', 'revoked']),
      online: z.boolean(),
      createdAt: iso,
      firstSeenAt: iso.nullable(),
      lastSeenAt: iso.nullable(),
      silentForMs: ms,
      revokedAt: iso.nullable(),
      spoolDepth: z.number().nullable(),
      canaries: z.object({ open: z.number().nullable(), connecting: z.number().nullable(), backoff: z.number().nullable() }),
      plan: probePlanSchema.nullable(),
    }),
  ),
});

const _matrix: Same<z.infer<typeof pathsMatrixSchema>, PathsMatrix> = true;
const _detail: Same<z.infer<typeof pathDetailSchema>, PathDetail> = true;
const _probes: Same<z.infer<typeof probesReportSchema>, ProbesReport> = true;
void _matrix;
void _detail;
void _probes;
