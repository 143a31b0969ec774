/** What the analysis reads (rows reshaped by db/queries/analysis.ts) and what it concludes. */
import type { EndKind, ProfileKind, ProxyKind } from '../contracts/ingest';
import type { ChainPosition, VerificationView } from '../diagnosis/types';

/** One ended session that the probe did not end itself. */
export interface Drop {
  id: string;
  probe: string;
  labels: Record<string, string>;
  target: string;
  proxy: string;
  proxyKind: ProxyKind;
  profile: string;
  profileKind: ProfileKind | null;
  gapMs: number | null;
  /**
   * Open lifetime; for a silent death, dated by the last byte received, not by the deadline.
   * Null for a silent death with no byte received after the 101 (a heartbeat or ladder
   * canary that never got a pong): when it died is unknown, and it is no evidence of an N.
   */
  ageMs: number | null;
  /** Silence in both directions before the end; null for silent deaths (unknown). */
  idleMs: number | null;
  endKind: EndKind;
  closeCode: number | null;
  /** Epoch ms. */
  endedAt: number;
  /** Identifying upgrade response headers (server, via ...), lower-case names. */
  headers: Record<string, string>;
  /** The forward proxy's identifying CONNECT reply headers (proxy-agent, server, via); absent: none. */
  proxyHeaders?: Record<string, string>;
  egress: string | null;
  targetView: { closeFrameReceived: boolean; endKind: string; endedAt: number } | null;
}

/** A path: probe × target × proxy × profile. */
export interface PathKey {
  probe: string;
  target: string;
  proxy: string;
  profile: string;
  profileKind: ProfileKind | null;
  gapMs: number | null;
  labels: Record<string, string>;
}

/** How a path fared around a signature's N. */
export interface PathExposure extends PathKey {
  /** Sessions of the path in scope, however they ended. */
  sessions: number;
  /** Of `sessions`, those not ended by the probe, at any duration (a ladder rung that died is no survivor). */
  drops: number;
  /** Sessions (ended, by anyone, or still open) whose age reached the window's low edge. */
  reached: number;
  /** Drops inside the window. */
  hits: number;
  /** Sessions that outlived the window's high edge. */
  outlived: number;
}

export type SignatureKind = 'idle' | 'lifetime' | 'undetermined';
export type LocationScope = 'proxy' | 'target' | 'probe' | 'label' | 'profile' | 'everywhere' | 'single-path';

export interface Candidate {
  layerId: string;
  name: string;
  /** The catalogue's value (a documented default, or the user's own layer's). */
  timeoutS: number;
  kind: 'idle' | 'lifetime';
  score: number;
  reasons: string[];
  setting: string;
  /**
   * Why it is a candidate: N matches its documented value (`default`), or the layer named
   * itself (a header or reply) and N is what its setting must be set to (`identity`).
   */
  basis: 'default' | 'identity';
}

/**
 * The software of the layer that answered, from what it says about itself: a header of
 * the 101 (or of a refusal), or a forward proxy's CONNECT/SOCKS reply.
 */
export interface Software {
  /** As it names itself, normalised: "nginx", "HAProxy", "Cloudflare", "squid". */
  name: string;
  version: string | null;
  /** What shows it, and on how many of the signature's members. */
  shownBy: { header: string; value: string; source: 'upgrade' | 'refusal' | 'proxy-reply'; seen: number; of: number };
  /** Which layer wrote it: one in front of the target, or the forward proxy. */
  side: 'target-front' | 'proxy';
  /** The catalogue knows it: its layers' settings are the candidates. */
  known: boolean;
}

export interface Confidence {
  level: 'high' | 'medium' | 'low';
  /** What holds it up. */
  reasons: string[];
  /** What would raise it ("add a heartbeat canary on this path to tell idle from lifetime"). */
  raise: string[];
}

/**
 * The fix a signature's recommendation says, as data (lib/analysis/verdict.ts derives both
 * from the same facts): what the server asks probes to verify (issue 18).
 *   heartbeat  a WebSocket ping at least every intervalMs (an idle cut)
 *   reconnect  reconnect proactively every everyMs, before the lifetime limit
 *   endpoint   the endpoint closes on purpose: no layer to tune
 */
export type Fix = { kind: 'heartbeat'; intervalMs: number } | { kind: 'reconnect'; everyMs: number } | { kind: 'endpoint' };

export interface Signature {
  /** Stable within an analysis: dimension and N. */
  key: string;
  /** Found in the histogram of ages or of idle time before the drop. */
  dimension: 'age' | 'idle';
  nMs: number;
  /** N rounded to 0.1 s, for people. */
  nSeconds: number;
  /** Robust spread (1.4826 × median absolute deviation), ms. */
  spreadMs: number;
  /** The smallest and largest value among the members read (a sample when there are many). */
  minMs: number;
  maxMs: number;
  /**
   * The window the drops were counted in: a drop is a member, one of `count`, when its value
   * lies in [lowMs, highMs) (bin edges, see lib/analysis/peaks.ts).
   */
  window: { lowMs: number; highMs: number };
  count: number;
  /** Of all drops in scope. */
  share: number;
  firstSeen: string;
  lastSeen: string;
  kind: SignatureKind;
  kindEvidence: string[];
  endings: Partial<Record<EndKind, number>>;
  closeCodes: Record<string, number>;
  paths: PathExposure[];
  location: { scope: LocationScope; value: string | null; evidence: string[] };
  candidates: Candidate[];
  /**
   * Who ended these connections: a layer on the path (FIN, reset, silence, or its own close
   * frame) or an endpoint's own decision (an application close code, 1000-1003, 1008,
   * 1011-1013, 4000-4999, that no layer of the catalogue sends at this N).
   */
  endedBy: 'layer' | 'endpoint';
  /** The software of the layer, when it showed itself in a place that fits; null otherwise. */
  software: Software | null;
  /** Why `software` is null (nothing identifies it, or the only identity is elsewhere on the path), or why this one of several. */
  softwareNote: string;
  confidence: Confidence;
  bothEnds: { observed: number; closeFrame: number; sameInstant: number; nothing: number; summary: string } | null;
  verdict: string;
  recommendation: string;
  /** The recommendation as data. */
  fix: Fix;
  /** Issue 18: did the fix hold on the paths that see this signature (a verification canary)? */
  verification?: VerificationView;
  /** Issue 18: where on a declared chain of entry points the cut happens. */
  chain?: ChainPosition;
  /**
   * Set when none of the window's drops could be read (their raw sessions are past
   * DROPSCOPE_RETENTION_RAW): N, the kind and the place then come from the aggregates alone,
   * and this says what is missing.
   */
  fromAggregatesOnly?: string;
}
