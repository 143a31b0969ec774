/**
 * The fleet plan as the dashboard shows it: what GET /api/v1/plan answers (FleetPlanView)
 * and what the probes page shows of each probe's plan (ProbePlanView). Instants are ISO
 * strings, durations are strings the plan API takes back (formatPlanDuration), so a form
 * can send a row it was given.
 */

export interface PlanTargetView {
  id: number;
  name: string;
  url: string;
  headers: Record<string, string>;
  subprotocols: string[];
  origin: string | null;
  tls: { verify: boolean; servername: string | null };
  createdAt: string;
  updatedAt: string;
}

export interface PlanProxyView {
  id: number;
  name: string;
  /** "direct" is never stored (it is built in); otherwise a URL whose credentials are ${VAR}s. */
  url: string;
  createdAt: string;
  updatedAt: string;
}

/**
 * A profile's settings as the profile body writes them (durations like "25s"); an optional
 * setting that is not set is absent (the body refuses null).
 */
export type PlanProfileSettings =
  | { kind: 'idle' }
  | { kind: 'heartbeat'; interval: string; timeout: string; hold?: string }
  | { kind: 'echo'; interval: string; timeout: string; messageBytes: number; growTo?: number }
  | { kind: 'ladder'; gaps: string[]; timeout: string }
  | { kind: 'bisect'; from: string; max: string; timeout: string }
  | { kind: 'keepalive'; gap: string; keepalive: string; timeout: string };

export type PlanProfileView = PlanProfileSettings & { id: number; name: string; createdAt: string; updatedAt: string };

export interface PlanPathView {
  id: number;
  /** Names, as the path body takes them. */
  target: string;
  proxy: string;
  profile: string;
  canaries: number;
  /** The selector: "*", "key=value" or a probe name (lib/plans/selector.ts). */
  probes: string;
  enabled: boolean;
  createdAt: string;
  updatedAt: string;
}

/**
 * A service's chain of entry points (GET /api/v1/plan/chains): target names, outermost
 * first. Not part of what probes run: the analysis reads it to say between which two
 * entry points a cut happens.
 */
export interface PlanChainView {
  id: number;
  name: string;
  hops: string[];
  createdAt: string;
  updatedAt: string;
}

/** GET /api/v1/plan. */
export interface FleetPlanView {
  /** Bumped by every plan write; 0 before the first. */
  revision: number;
  /** Names a path may use without a definition. */
  builtins: { profiles: string[]; proxies: string[] };
  targets: PlanTargetView[];
  proxies: PlanProxyView[];
  profiles: PlanProfileView[];
  paths: PlanPathView[];
}

/** One path a probe reported on: a server path, one of its own, or an experiment the server asked of it. */
export interface ProbePlanPathView {
  source: 'server' | 'local' | 'experiment';
  /** The server path's or experiment's id; null for a local path. */
  id: number | null;
  target: string;
  proxy: string;
  profile: string;
  /** Canaries planned, and their states now. */
  canaries: number;
  open: number;
  connecting: number;
  backoff: number;
  state: 'running' | 'unconfigured';
  /** Why the path is unconfigured ("environment variable CORP_PASS is not set on this probe"). */
  reason: string | null;
  /** The plan field at fault, e.g. `proxies.0.url`. */
  field: string | null;
}

/** One probe's plan on the probes page: what it was served, when, and what it made of it. */
export interface ProbePlanView {
  /** The version last served to the probe (the ETag); null before its first fetch. */
  version: string | null;
  /** The fleet revision at that fetch. */
  revision: number | null;
  /** When the probe last fetched (a 200 or a 304). */
  fetchedAt: string | null;
  /** When the probe last reported its status; null before its first report. */
  reportedAt: string | null;
  /** The server plan the probe runs, as it reported; differs from `version` while it applies a new one. */
  appliedVersion: string | null;
  /** The latest plan the probe refused outright, with the fields at fault. */
  rejected: { version: string; issues: { path: string; message: string }[] } | null;
  paths: ProbePlanPathView[];
  /** The probe ran more paths than it could report. */
  truncated: boolean;
}
