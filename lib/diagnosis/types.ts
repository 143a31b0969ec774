/**
 * Active diagnosis (issue 18): what the experiments a probe runs on a path conclude, beside
 * the passive signatures. Each experiment is a canary whose profile asks one question:
 *   bisect     where exactly is this path's idle timeout? (lib/diagnosis/bisect.ts)
 *   keepalive  does TCP keepalive alone keep it alive? (an L4 layer) or not (an L7 one)
 *   hold       does the recommended fix hold? (a heartbeat held for 3 × N, or a
 *              reconnect schedule handing over before a lifetime limit)
 *   echo       does a layer hold messages back, or lose large ones?
 * and a declared chain of entry points says between which two layers a cut happens.
 *
 * These types are the one definition the analysis, the database reads
 * (db/queries/experiment-sessions.ts), the report and the scorecard share.
 */
import type { EchoStats, EndKind, ProfileKind } from '../contracts/ingest';

/** One session of an experiment profile (bisect, keepalive, a held heartbeat, echo with stats), as the diagnosis reads it. */
export interface ExperimentSession {
  probe: string;
  labels: Record<string, string>;
  target: string;
  proxy: string;
  /** The profile label (`bisect`, `verify-hb-30s` ...). */
  profile: string;
  profileKind: ProfileKind | null;
  gapMs: number | null;
  keepaliveMs: number | null;
  intervalMs: number | null;
  holdMs: number | null;
  /** Epoch ms the dial started: the order rungs ran in. */
  attemptedAt: number;
  /** Epoch ms it ended; null while it is open. */
  endedAt: number | null;
  /** Open lifetime: to its end, or (open) to the moment the scope was read. */
  durationMs: number | null;
  endKind: EndKind | null;
  closeCode: number | null;
  closeReason: string | null;
  echo: EchoStats | null;
}

/** A service's chain of entry points, outermost first (the CDN, the load balancer, the app): target names. */
export interface Chain {
  name: string;
  hops: string[];
}

/** probe × target × proxy: where an experiment ran. */
export interface ExperimentPath {
  probe: string;
  target: string;
  proxy: string;
}

/** The adaptive ladder's conclusion on one path (lib/diagnosis/bisect.ts replays its rungs). */
export interface BracketView extends ExperimentPath {
  profile: string;
  /** The longest gap that survived and the shortest that died, since the last restart; null when none yet. */
  lowMs: number | null;
  highMs: number | null;
  /**
   * `converged`: high − low ≤ max(0.5 s, 1 % of high); `searching`: not yet;
   * `survives`: every rung survived (no death yet); `dies`: every rung died (none survived).
   */
  state: 'converged' | 'searching' | 'survives' | 'dies';
  /** Rungs from the (last) start to convergence; while searching, rungs so far. */
  rungs: number;
  /** Times a rung contradicted the bracket and the search started over. */
  restarts: number;
  /** When the latest rung ended (epoch ms). */
  lastRungAt: number;
}

/** L4 or L7, by experiment: a keepalive rung past the idle cut survived (L4) or died (L7). */
export interface TransportView extends ExperimentPath {
  layer: 'l4' | 'l7' | 'unknown';
  gapMs: number;
  keepaliveMs: number;
  survived: number;
  died: number;
  /** The idle cut the keepalive rungs were compared against (a bracket's high edge, a ladder rung that died, a signature's N); null: none known. */
  idleCutMs: number | null;
  /** Where idleCutMs came from, for people. */
  idleCutFrom: string | null;
}

/** One path's verification run. */
export interface VerificationPath extends ExperimentPath {
  outcome: 'held' | 'died' | 'running';
  /** The longest a verification session stayed open. */
  heldMs: number;
  /** For `died`: when and how the first death came. */
  diedAtMs?: number;
  endKind?: EndKind;
}

/** Did the signature's fix hold? */
export interface VerificationView {
  /** The fix that was tried. */
  fix: { kind: 'heartbeat'; intervalMs: number } | { kind: 'reconnect'; everyMs: number };
  /** How long a session had to stay open to count (3 × N for a heartbeat, the reconnect period for a schedule). */
  holdMs: number;
  status: 'verified' | 'refuted' | 'running';
  paths: VerificationPath[];
  /** "verified: a 30 s heartbeat survived 3 × N (225 s) on 3 of 3 paths" */
  summary: string;
}

/** Where on a declared chain a signature's cut happens. */
export interface ChainPosition {
  chain: string;
  hops: { target: string; state: 'cut' | 'clean' | 'unseen' }[];
  /** The outermost hop that shows the cut while the next one inward does not: the cutting layer is its entry point's. */
  cutAt: string | null;
  /** The next hop inward (null: the innermost hop shows it: its own layer or the app). */
  nextInward: string | null;
  /** "the 100 s cut happens between cdn and lb: cdn's timeout" */
  summary: string;
}

/** A layer that holds messages back, or loses, cuts or refuses large ones, seen by echo canaries. */
export interface EchoView extends ExperimentPath {
  kind: 'buffering' | 'frame-lost' | 'frame-cut' | 'frame-refused';
  /** Buffering: how long messages were held (the longest); frames: the smallest size that failed. */
  heldMs?: number;
  bunches?: number;
  failedAtBytes?: number;
  /** The largest size that came back. */
  largestReturnedBytes?: number;
  sessions: number;
}

/** What the experiments concluded in a scope: the structured part of the analysis answer. */
export interface Diagnosis {
  brackets: BracketView[];
  transports: TransportView[];
  verifications: (VerificationView & { signature: string })[];
  chains: (ChainPosition & { signature: string })[];
  echo: EchoView[];
}
