/**
 * What the paths and probes pages render and their endpoints return: the shapes db/queries
 * reshape rows into, kept here so components depend on lib, never on db.
 */
import type { Finding, LadderRung } from '../analysis/findings';
import type { EndKind, Outcome, ProfileKind, ProxyKind } from '../contracts/ingest';
import type { ProbePlanView } from '../plans/types';
import type { Health } from './health';

export const PHASES = ['dns', 'tcp', 'proxy', 'tls', 'upgrade'] as const;
export type Phase = (typeof PHASES)[number];

export interface PathCell {
  /** The path page's id (target and proxy; the probe is a filter there). */
  id: string;
  target: string;
  proxy: string;
  /** Set when the matrix is split by probe. */
  probe: string | null;
  /** Attempts with a known outcome. */
  attempts: number;
  /** Attempts that upgraded (HTTP 101). */
  opened: number;
  /** opened / attempts; null without attempts. */
  upgradeRatio: number | null;
  /** Sessions with an ending. */
  ended: number;
  /** Endings not caused by the probe itself. */
  drops: number;
  /** drops / ended; null when nothing ended. */
  dropShare: number | null;
  /**
   * Drops per hour of data: drops / `dataMs` (lib/paths/data-time.ts), not / the range, so
   * that 54 drops in 6 minutes of data read the same at 15 min and at 24 h. Null without
   * data time (nothing to divide by: "—", never "0/h" beside drops).
   */
  dropsPerHour: number | null;
  /** How long the path had data within the range (lib/paths/data-time.ts `dataSpan`): what rates are divided by. */
  dataMs: number;
  /**
   * Median lifetime of the ended sessions (percentile_cont(0.5) of their durations), read
   * from log bins: within the answer's `medianLifetimeRelativeError` of the exact value.
   * It includes the sessions the probe closed at their planned age (ladder and bisect rungs,
   * held heartbeats): see `medianDropLifetimeMs` for the path's own.
   */
  medianLifetimeMs: number | null;
  /**
   * Median lifetime of the sessions that ended otherwise than closed by the probe (the
   * drops), from the same log bins; null without drops. A path's life, not the probe's plan.
   */
  medianDropLifetimeMs: number | null;
  /** Ended sessions the probe closed itself (ended − drops): lifetimes its plan chose. */
  probeClosed: number;
  lastAttemptAt: string;
  health: Health;
}

export interface PathsMatrix {
  from: string;
  to: string;
  byProbe: boolean;
  /** Every cell's medianLifetimeMs is within this fraction of the exact median (lib/rollups/lifetime-bins.ts). */
  medianLifetimeRelativeError: number;
  /** Row and column headers, sorted. */
  targets: string[];
  proxies: string[];
  probes: string[];
  cells: PathCell[];
}

export interface TimelineBar {
  id: string;
  probe: string;
  profile: string;
  openedAt: string;
  /** Null while the session is open (or its end has not arrived). */
  endedAt: string | null;
  endKind: string | null;
  closeCode: number | null;
  egressAddress: string | null;
}

export interface EgressChange {
  at: string;
  probe: string;
  previous: string;
  address: string;
}

export interface RttPoint {
  /** Start of the point's bucket. */
  at: string;
  count: number;
  p50Ms: number | null;
  p95Ms: number | null;
  maxMs: number;
}

export interface PhaseStat {
  phase: Phase;
  /** Attempts that recorded the phase. */
  count: number;
  p50Ms: number | null;
  p95Ms: number | null;
}

/** One session with every recorded field (dates as ISO strings) and the target's view of its end. */
export interface PathSessionRow {
  id: string;
  probeId: number;
  probeName: string;
  targetName: string;
  targetUrl: string;
  proxyName: string;
  proxyKind: ProxyKind;
  proxyUrl: string | null;
  profile: string;
  profileKind: ProfileKind | null;
  gapMs: number | null;
  attemptedAt: string;
  dnsMs: number | null;
  tcpMs: number | null;
  proxyMs: number | null;
  tlsMs: number | null;
  upgradeMs: number | null;
  outcome: Outcome | null;
  httpStatus: number | null;
  proxyReply: string | null;
  errorCode: string | null;
  errorMessage: string | null;
  responseHeaders: Record<string, string> | null;
  egressAddress: string | null;
  openedAt: string | null;
  endedAt: string | null;
  durationMs: number | null;
  sinceLastRecvMs: number | null;
  sinceLastSentMs: number | null;
  closeCode: number | null;
  closeReason: string | null;
  endKind: EndKind | null;
  bytesIn: number | null;
  bytesOut: number | null;
  messagesIn: number | null;
  messagesOut: number | null;
  rttCount: number | null;
  rttMinMs: number | null;
  rttMedianMs: number | null;
  rttMaxMs: number | null;
  targetView: {
    peerAddress: string;
    openedAt: string;
    endedAt: string;
    durationMs: number;
    closeFrameReceived: boolean;
    closeCode: number | null;
    closeReason: string | null;
    endKind: EndKind;
    sinceLastRecvMs: number;
    sinceLastSentMs: number;
  } | null;
  /**
   * Issue 19: the session is open in the database but its probe has been silent for three
   * heartbeats (db/queries/probe-silence.ts): nobody knows whether it still lives. Set by
   * the path page's query (db/queries/path-detail.ts); absent elsewhere.
   */
  probeSilent?: boolean;
  /** Issue 19: when the server closed it as lost (db/queries/ingest-lost.ts); null otherwise. */
  lostAt?: string | null;
}

export interface PathDetail {
  id: string;
  target: string;
  proxy: string;
  from: string;
  to: string;
  now: string;
  /** The summary's medianLifetimeMs is within this fraction of the exact median. */
  medianLifetimeRelativeError: number;
  /** The matrix cell for this path in the scope; null when nothing was attempted in range. */
  summary: PathCell | null;
  timeline: { sessions: TimelineBar[]; total: number; limit: number };
  egressChanges: EgressChange[];
  rtt: { bucketMs: number; points: RttPoint[] };
  phases: PhaseStat[];
  ladder: { rungs: LadderRung[]; findings: Finding[] };
  sessions: PathSessionRow[];
}

export type ProbeState = 'online' | 'offline' | 'never-seen' | 'revoked';

export interface ProbeStatus {
  name: string;
  labels: Record<string, string>;
  agentVersion: string | null;
  state: ProbeState;
  online: boolean;
  createdAt: string;
  firstSeenAt: string | null;
  lastSeenAt: string | null;
  /** now − lastSeenAt; null when never seen. */
  silentForMs: number | null;
  revokedAt: string | null;
  spoolDepth: number | null;
  canaries: { open: number | null; connecting: number | null; backoff: number | null };
  /** Its plan from the server and what it reported of it (issue 17); null before its first fetch or report. */
  plan: ProbePlanStatus | null;
}

/** A probe's plan with how long ago it fetched it, decided against the same `now` as `silentForMs`. */
export interface ProbePlanStatus extends ProbePlanView {
  /** now − fetchedAt; null when never fetched. */
  fetchedForMs: number | null;
}

/** GET /api/v1/probes and the probes page: every probe's status as of `now`. */
export interface ProbesReport {
  now: string;
  /** A probe heard from within this long of `now` is online. */
  onlineWithinMs: number;
  probes: ProbeStatus[];
}
