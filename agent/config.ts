/**
 * The probe's YAML configuration: parsed, `${ENV}`-interpolated, validated with zod, and
 * expanded into the plan of canaries to hold. Every error names the file, the path of the
 * field and what was expected; nothing is silently defaulted over a bad value.
 */
import { readFileSync } from 'node:fs';
import { isIP } from 'node:net';
import { parseDocument } from 'yaml';
import { z } from 'zod';
import { proxyKinds, type ProxyKind } from '../lib/contracts/ingest';
import { MAX_BISECT_PARALLEL, PLAN_PATH, pathSchema, profileSchema, proxySchema, targetSchema } from '../lib/contracts/plan';
import { durationMs, formatPlanDuration } from './duration';
import { DEFAULT_DIAL_PACE } from './schedule/dial-pacer';

// The entry schemas are shared with the server's plans (lib/contracts/plan.ts); re-exported
// for the callers that have always found them here.
export { name, pathSchema, profileSchema, proxySchema, proxyUrl, targetSchema, wsUrl } from '../lib/contracts/plan';

export class ConfigError extends Error {
  readonly code = 'PROBE_ERR_CONFIG';
  constructor(
    readonly file: string,
    readonly problems: { path: string; message: string }[],
  ) {
    super(`${file}: ${problems.map((p) => (p.path ? `${p.path}: ${p.message}` : p.message)).join('\n  ')}`);
  }
}

const timeout = durationMs(100, 600_000);

/**
 * How often a probe asks the server for its plan. 15 s: with the first dial spread by at most
 * one reconnect base, a path added on the server runs within about 16 s.
 */
export const DEFAULT_PLAN_POLL_MS = 15_000;

/** A name the probe's environment may hold. */
const envName = z.string().regex(/^[A-Za-z_][A-Za-z0-9_]*$/, 'expected an environment variable name');

const configSchema = z.strictObject({
  probe: z
    .strictObject({
      spoolDir: z.string().min(1).default('./dropscope-spool'),
      spoolMaxBytes: z.number().int().min(1 << 20).default(512 << 20),
      heartbeat: durationMs(1000, 3_600_000).default(30_000),
      /** Labels are set when the probe is registered; here only to document the host. */
    })
    .default({ spoolDir: './dropscope-spool', spoolMaxBytes: 512 << 20, heartbeat: 30_000 }),
  backend: z.strictObject({
    url: z.string().refine((u) => /^https?:\/\/[^/]+/.test(u), 'expected the backend base URL, http:// or https://'),
    token: z.string().regex(/^dsp_[0-9]+_[A-Za-z0-9_-]{43}$/, 'expected a probe token (dsp_...) from `dropscope probe add`'),
  }),
  reconnect: z
    .strictObject({ base: durationMs(10, 600_000).default(1000), cap: durationMs(100, 3_600_000).default(60_000) })
    .default({ base: 1000, cap: 60_000 }),
  dial: z
    .strictObject({
      timeout: timeout.default(15_000),
      /** Dial starts a second, probe-wide (agent/schedule/dial-pacer.ts); bursts of a fifth of it. */
      rate: z.number().int().min(1).max(100_000).default(DEFAULT_DIAL_PACE.ratePerS),
    })
    .default({ timeout: 15_000, rate: DEFAULT_DIAL_PACE.ratePerS }),
  /** Opt-in Prometheus endpoint of the probe itself. */
  metrics: z
    .strictObject({ listen: z.string().regex(/^(\[[0-9a-fA-F:]+\]|[A-Za-z0-9.-]+):[0-9]{1,5}$/, 'expected host:port, e.g. 127.0.0.1:9464') })
    .optional(),
  /**
   * Paths from the server (the Fleet page), beside the ones below. `env`: the environment
   * variables a server plan may use in proxy URLs, beyond those named DROPSCOPE_PROXY_*.
   */
  plan: z
    .strictObject({
      /**
       * true: the server's paths and experiments; `experiments`: only the experiments the
       * server asks (they run where this file's paths go); false: nothing from the server.
       */
      fromServer: z.union([z.boolean(), z.literal('experiments')]).default(true),
      poll: durationMs(1000, 3_600_000).default(DEFAULT_PLAN_POLL_MS),
      env: z.array(envName).max(100).default([]),
    })
    .default({ fromServer: true, poll: DEFAULT_PLAN_POLL_MS, env: [] }),
  targets: z.array(targetSchema).default([]),
  proxies: z.array(proxySchema).default([{ name: 'direct', url: 'direct' }]),
  profiles: z.array(profileSchema).default([]),
  paths: z.array(pathSchema).default([]),
});

export type ProbeConfig = z.infer<typeof configSchema>;
export type TargetConfig = z.infer<typeof targetSchema>;
export type ProfileConfig = z.infer<typeof profileSchema>;

export interface ProxyConfig {
  name: string;
  kind: ProxyKind;
  /** The URL as configured, with credentials: it never leaves the probe. */
  url: URL | null;
  /** socks5h / socks4a: the proxy resolves the target's name. */
  remoteDns: boolean;
  /** The URL without credentials, for events and logs. */
  redactedUrl: string | undefined;
}

/** Profiles available without being declared; a declared profile of the same name wins. */
export const BUILTIN_PROFILES: ProfileConfig[] = [
  { name: 'idle', kind: 'idle' },
  { name: 'heartbeat', kind: 'heartbeat', interval: 25_000, timeout: 10_000 },
  { name: 'echo', kind: 'echo', interval: 10_000, timeout: 10_000, messageBytes: 64 },
  { name: 'ladder', kind: 'ladder', gaps: [15, 30, 45, 60, 90, 120, 300].map((s) => s * 1000), timeout: 10_000 },
  // The adaptive ladder with the contract's defaults (lib/contracts/plan.ts).
  { name: 'bisect', kind: 'bisect', from: 15_000, max: 1_800_000, timeout: 10_000 },
];

/** One canary slot of the plan: held forever, reconnecting after every ending. */
export interface PlannedCanary {
  /** `target|proxy|profileLabel|n`: the same slot in the local and the server plan has the same key. */
  key: string;
  target: TargetConfig;
  proxy: ProxyConfig;
  profile: ProfileConfig;
  /**
   * The idle gap before the single ping: a ladder rung's, fixed by the plan; a bisect rung's,
   * set by the runner for each rung (agent/schedule/bisect-rounds.ts).
   */
  gapMs?: number;
  /** The profile name as reported: `ladder/45s` for a ladder rung. */
  profileLabel: string;
  /**
   * Where the slot comes from: absent for probe.yaml, 'server' for the server's plan's
   * paths, 'experiment' for an experiment the server asked for (agent/plan/experiments.ts).
   */
  source?: 'server' | 'experiment';
  /** The server path's id, for a slot of the server's plan. */
  pathId?: number;
  /** The experiment's id, for an experiment's slot. */
  experimentId?: number;
}

export interface ProbePlan {
  config: ProbeConfig;
  canaries: PlannedCanary[];
}

export function redactProxyUrl(url: URL): string {
  const u = new URL(url.toString());
  u.username = '';
  u.password = '';
  return u.toString().replace(/\/$/, '');
}

export function toProxyConfig(p: { name: string; url: string }): ProxyConfig {
  if (p.url === 'direct') return { name: p.name, kind: 'direct', url: null, remoteDns: false, redactedUrl: undefined };
  const url = new URL(p.url);
  const scheme = url.protocol.slice(0, -1);
  const kind: ProxyKind = scheme === 'socks5h' ? 'socks5' : scheme === 'socks4a' ? 'socks4' : (scheme as ProxyKind);
  if (!proxyKinds.includes(kind)) throw new Error(`unsupported proxy scheme ${scheme}`);
  return { name: p.name, kind, url, remoteDns: scheme === 'socks5h' || scheme === 'socks4a', redactedUrl: redactProxyUrl(url) };
}

/**
 * Replace `${NAME}` in every string value with the environment variable; `$${` stays a
 * literal `${`. A missing variable is an error naming the field, never an empty string.
 */
export function interpolate(value: unknown, env: Record<string, string | undefined>, path: (string | number)[] = [], problems: { path: string; message: string }[] = []): unknown {
  if (typeof value === 'string') {
    return value.replace(/\$?\$\{([A-Za-z_][A-Za-z0-9_]*)\}/g, (whole, varName: string) => {
      if (whole.startsWith('$$')) return whole.slice(1);
      const v = env[varName];
      if (v === undefined) {
        problems.push({ path: path.join('.'), message: `environment variable ${varName} is not set` });
        return '';
      }
      return v;
    });
  }
  if (Array.isArray(value)) return value.map((v, i) => interpolate(v, env, [...path, i], problems));
  if (value && typeof value === 'object') {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, interpolate(v, env, [...path, k], problems)]));
  }
  return value;
}

/** Parse YAML text into a validated plan. `file` is only used in messages. */
export function parseProbeConfig(text: string, file: string, env: Record<string, string | undefined> = process.env): ProbePlan {
  const doc = parseDocument(text, { prettyErrors: true, uniqueKeys: true });
  if (doc.errors.length > 0) {
    throw new ConfigError(file, doc.errors.map((e) => ({ path: '', message: `YAML: ${e.message.split('\n')[0]}` })));
  }
  const problems: ConfigProblem[] = [];
  const raw = interpolate(doc.toJS(), env, [], problems);
  if (problems.length > 0) throw new ConfigError(file, problems);
  const parsed = configSchema.safeParse(raw);
  if (!parsed.success) {
    throw new ConfigError(file, parsed.error.issues.map((i) => ({ path: i.path.map(String).join('.'), message: i.message })));
  }
  return plan(parsed.data, file);
}

export function loadProbeConfig(file: string, env: Record<string, string | undefined> = process.env): ProbePlan {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    throw new ConfigError(file, [{ path: '', message: `cannot read the file: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}` }]);
  }
  return parseProbeConfig(text, file, env);
}

const SINGULAR = { targets: 'target', proxies: 'proxy', profiles: 'profile' } as const;

export interface ConfigProblem {
  path: string;
  message: string;
}

/** The named definitions a plan's paths pick from. */
export interface PlanDefinitions {
  targets: ReadonlyMap<string, TargetConfig>;
  proxies: ReadonlyMap<string, ProxyConfig>;
  /** Built-ins and declared profiles (a declared one wins). */
  profiles: ReadonlyMap<string, ProfileConfig>;
}

/** A path as expand takes it: the YAML's, or a server path with its id. */
export interface PathSpec {
  targets: '*' | string[];
  proxies: '*' | string[];
  profiles: string[];
  canaries: number;
  id?: number;
}

/** The profiles a plan knows: the built-ins, overridden by `declared`. */
export function profileMap(declared: readonly ProfileConfig[]): Map<string, ProfileConfig> {
  const profiles = new Map(BUILTIN_PROFILES.map((p) => [p.name, p]));
  for (const p of declared) profiles.set(p.name, p);
  return profiles;
}

/**
 * The canaries a path holds per target × proxy × profile: each ladder rung `canaries` times,
 * and a bisect path at most MAX_BISECT_PARALLEL (its canaries are the rungs run at once).
 */
export function slotsOf(profile: ProfileConfig, canaries: number): { gapMs: number | undefined; n: number }[] {
  const rungs: (number | undefined)[] = profile.kind === 'ladder' ? profile.gaps : [undefined];
  const count = profile.kind === 'bisect' ? Math.min(canaries, MAX_BISECT_PARALLEL) : canaries;
  return rungs.flatMap((gapMs) => Array.from({ length: count }, (_, n) => ({ gapMs, n })));
}

/** The label a canary reports as its profile: `ladder/45s` for a ladder rung. */
export function profileLabelOf(profile: ProfileConfig, gapMs: number | undefined): string {
  return gapMs === undefined ? profile.name : `${profile.name}/${gapMs / 1000}s`;
}

/**
 * Expand paths into canaries: target × proxy × profile × (ladder rung) × n, each slot once
 * (a slot listed twice is held once). Unknown names are problems at `paths.<i>.<field>.<j>`.
 * The local and the server plan expand the same way, so equal slots get equal keys.
 */
export function expandPaths(defs: PlanDefinitions, paths: readonly PathSpec[], source: 'local' | 'server'): { canaries: PlannedCanary[]; problems: ConfigProblem[] } {
  const problems: ConfigProblem[] = [];
  const canaries: PlannedCanary[] = [];
  const keys = new Set<string>();
  paths.forEach((p, i) => {
    const pick = <T>(names: '*' | string[], from: ReadonlyMap<string, T>, field: 'targets' | 'proxies' | 'profiles'): T[] =>
      names === '*'
        ? [...from.values()]
        : names.flatMap((n, j) => {
            const v = from.get(n);
            if (!v) problems.push({ path: `paths.${i}.${field}.${j}`, message: `no ${SINGULAR[field]} named "${n}" (known: ${[...from.keys()].join(', ')})` });
            return v ? [v] : [];
          });
    const ts = pick(p.targets, defs.targets, 'targets');
    const ps = pick(p.proxies, defs.proxies, 'proxies');
    const prs = pick(p.profiles, defs.profiles, 'profiles');
    for (const target of ts)
      for (const proxy of ps)
        for (const profile of prs)
          for (const { gapMs, n } of slotsOf(profile, p.canaries)) {
            const profileLabel = profileLabelOf(profile, gapMs);
            const key = `${target.name}|${proxy.name}|${profileLabel}|${n}`;
            if (keys.has(key)) continue; // the same path listed twice is held once
            keys.add(key);
            const canary: PlannedCanary = { key, target, proxy, profile, gapMs, profileLabel };
            if (source === 'server') {
              canary.source = 'server';
              if (p.id !== undefined) canary.pathId = p.id;
            }
            canaries.push(canary);
          }
  });
  return { canaries, problems };
}

/** Duplicate names in a list of definitions, as problems at `<what>.<i>.name`. */
export function duplicateNames(items: readonly { name: string }[], what: string): ConfigProblem[] {
  const seen = new Set<string>();
  const problems: ConfigProblem[] = [];
  items.forEach((it, i) => {
    if (seen.has(it.name)) problems.push({ path: `${what}.${i}.name`, message: `duplicate name "${it.name}"` });
    seen.add(it.name);
  });
  return problems;
}

/** A wss:// target at an IP address that verifies its certificate needs a name to verify it against. */
export function targetProblem(t: TargetConfig): string | null {
  const host = new URL(t.url).hostname;
  if (t.url.startsWith('wss:') && isIP(host.replace(/^\[|\]$/g, '')) && t.tls.verify && !t.tls.servername) {
    return 'a wss:// URL with an IP address needs tls.servername to verify the certificate';
  }
  return null;
}

function plan(config: ProbeConfig, file: string): ProbePlan {
  const problems: ConfigProblem[] = [
    ...duplicateNames(config.targets, 'targets'),
    ...duplicateNames(config.proxies, 'proxies'),
    ...duplicateNames(config.profiles, 'profiles'),
  ];
  if (config.reconnect.cap < config.reconnect.base) problems.push({ path: 'reconnect.cap', message: 'expected cap ≥ base' });
  config.targets.forEach((t, i) => {
    const problem = targetProblem(t);
    if (problem) problems.push({ path: `targets.${i}.tls.servername`, message: problem });
  });
  // Without the server's plan, a probe with no paths would hold nothing at all.
  if (config.paths.length === 0 && config.plan.fromServer !== true) problems.push({ path: 'paths', message: 'expected at least one path (or plan.fromServer: true)' });
  if (config.paths.length > 0 && config.targets.length === 0) problems.push({ path: 'targets', message: 'expected at least one target for the paths' });

  const defs: PlanDefinitions = {
    targets: new Map(config.targets.map((t) => [t.name, t])),
    proxies: new Map(config.proxies.map((p) => [p.name, toProxyConfig(p)])),
    profiles: profileMap(config.profiles),
  };
  const expanded = expandPaths(defs, config.paths, 'local');
  problems.push(...expanded.problems);
  if (problems.length > 0) throw new ConfigError(file, problems);
  return { config, canaries: expanded.canaries };
}

/** A human-readable plan for `--check`: no secrets. */
export function describePlan(p: ProbePlan): string {
  const lines = [`backend ${p.config.backend.url}`, `spool ${p.config.probe.spoolDir}`, `${p.canaries.length} canaries${p.canaries.length > 0 ? ':' : ''}`];
  for (const c of p.canaries) {
    const via = c.proxy.kind === 'direct' ? 'direct' : `${c.proxy.name} (${c.proxy.redactedUrl})`;
    lines.push(`  ${c.target.name} ${c.target.url} via ${via}, profile ${c.profileLabel}${describeProfile(c)}`);
  }
  return lines.join('\n');
}

/** Where the server's plan comes from, for `--check`: it adds to the canaries above. */
export function describeServerPlan(config: ProbeConfig): string {
  if (!config.plan.fromServer) return 'server plan: off (plan.fromServer: false)';
  if (config.plan.fromServer === 'experiments') return `server plan: experiments only, on this file's paths, from ${config.backend.url.replace(/\/+$/, '')}${PLAN_PATH}`;
  const url = `${config.backend.url.replace(/\/+$/, '')}${PLAN_PATH}`;
  const env = config.plan.env.length > 0 ? `; proxy URLs may use DROPSCOPE_PROXY_* and ${config.plan.env.join(', ')}` : '; proxy URLs may use DROPSCOPE_PROXY_*';
  return `server plan: fetched from ${url} every ${formatPlanDuration(config.plan.poll)}${env}`;
}

function describeProfile(c: PlannedCanary): string {
  const p = c.profile;
  switch (p.kind) {
    case 'idle':
      return ': no traffic at all';
    case 'heartbeat':
      return `: ping every ${p.interval / 1000}s, pong deadline ${p.timeout / 1000}s${p.hold !== undefined ? `, reconnecting after ${p.hold / 1000}s` : ''}`;
    case 'echo': {
      const sizes = p.growTo !== undefined && p.growTo > p.messageBytes ? `${p.messageBytes}-byte message growing to ${p.growTo} bytes` : `${p.messageBytes}-byte message`;
      return `: ${sizes} every ${p.interval / 1000}s, echo deadline ${p.timeout / 1000}s`;
    }
    case 'ladder':
      return `: one ping after ${(c.gapMs ?? 0) / 1000}s idle, pong deadline ${p.timeout / 1000}s`;
    case 'bisect':
      return `: rungs of one ping after a gap bisecting the idle timeout, from ${p.from / 1000}s up to ${p.max / 1000}s, pong deadline ${p.timeout / 1000}s`;
    case 'keepalive':
      return `: one ping after ${p.gap / 1000}s idle with TCP keepalive every ${p.keepalive / 1000}s, pong deadline ${p.timeout / 1000}s`;
  }
}
