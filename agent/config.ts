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
import { durationMs } from './duration';

export class ConfigError extends Error {
  readonly code = 'PROBE_ERR_CONFIG';
  constructor(
    readonly file: string,
    readonly problems: { path: string; message: string }[],
  ) {
    super(`${file}: ${problems.map((p) => (p.path ? `${p.path}: ${p.message}` : p.message)).join('\n  ')}`);
  }
}

const name = z.string().regex(/^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/, 'expected a name of letters, digits, ".", "_" or "-"');

const wsUrl = z.string().refine((u) => {
  try {
    const p = new URL(u);
    return (p.protocol === 'ws:' || p.protocol === 'wss:') && p.username === '' && p.password === '';
  } catch {
    return false;
  }
}, 'expected a ws:// or wss:// URL without credentials');

const proxyUrl = z.string().refine((u) => {
  if (u === 'direct') return true;
  try {
    const p = new URL(u);
    return ['http:', 'https:', 'socks4:', 'socks4a:', 'socks5:', 'socks5h:'].includes(p.protocol) && p.hostname !== '' && p.pathname.replace(/\/$/, '') === '';
  } catch {
    return false;
  }
}, 'expected "direct" or a proxy URL: http://, https://, socks4://, socks4a://, socks5:// or socks5h://, [user:password@]host:port');

const targetSchema = z.strictObject({
  name,
  url: wsUrl,
  headers: z.record(z.string().regex(/^[A-Za-z0-9-]+$/, 'expected an HTTP header name'), z.string()).default({}),
  subprotocols: z.array(z.string().regex(/^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/, 'expected a subprotocol token')).default([]),
  origin: z.string().optional(),
  tls: z
    .strictObject({
      /** Verify the server's certificate (the default). Turn off only for lab targets. */
      verify: z.boolean().default(true),
      /** PEM file of extra CAs. */
      caFile: z.string().optional(),
      /** SNI name, when the URL's host is an address. */
      servername: z.string().optional(),
    })
    .default({ verify: true }),
});

const proxySchema = z.strictObject({ name, url: proxyUrl });

const timeout = durationMs(100, 600_000);
const profileSchema = z.discriminatedUnion('kind', [
  z.strictObject({ name, kind: z.literal('idle') }),
  z.strictObject({ name, kind: z.literal('heartbeat'), interval: durationMs(100, 3_600_000), timeout }),
  z.strictObject({
    name,
    kind: z.literal('echo'),
    interval: durationMs(100, 3_600_000),
    timeout,
    messageBytes: z.number().int().min(16).max(16 * 1024 * 1024).default(64),
  }),
  z.strictObject({
    name,
    kind: z.literal('ladder'),
    gaps: z.array(durationMs(1000, 86_400_000)).min(1).max(32),
    timeout,
  }),
]);

const pathSchema = z.strictObject({
  targets: z.union([z.literal('*'), z.array(name).min(1)]).default('*'),
  proxies: z.union([z.literal('*'), z.array(name).min(1)]).default('*'),
  profiles: z.array(name).min(1),
  /** Canaries to hold per target × proxy × profile (per gap, for a ladder). */
  canaries: z.number().int().min(1).max(1000).default(1),
});

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
  dial: z.strictObject({ timeout: timeout.default(15_000) }).default({ timeout: 15_000 }),
  /** Opt-in Prometheus endpoint of the probe itself. */
  metrics: z
    .strictObject({ listen: z.string().regex(/^(\[[0-9a-fA-F:]+\]|[A-Za-z0-9.-]+):[0-9]{1,5}$/, 'expected host:port, e.g. 127.0.0.1:9464') })
    .optional(),
  targets: z.array(targetSchema).min(1),
  proxies: z.array(proxySchema).default([{ name: 'direct', url: 'direct' }]),
  profiles: z.array(profileSchema).default([]),
  paths: z.array(pathSchema).min(1),
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
];

/** One canary slot of the plan: held forever, reconnecting after every ending. */
export interface PlannedCanary {
  key: string;
  target: TargetConfig;
  proxy: ProxyConfig;
  profile: ProfileConfig;
  /** For ladder canaries: the idle gap before the single ping. */
  gapMs?: number;
  /** The profile name as reported: `ladder/45s` for a ladder rung. */
  profileLabel: string;
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
  const problems: { path: string; message: string }[] = [];
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

function plan(config: ProbeConfig, file: string): ProbePlan {
  const problems: { path: string; message: string }[] = [];
  const unique = <T extends { name: string }>(items: T[], what: string) => {
    const seen = new Set<string>();
    items.forEach((it, i) => {
      if (seen.has(it.name)) problems.push({ path: `${what}.${i}.name`, message: `duplicate name "${it.name}"` });
      seen.add(it.name);
    });
  };
  unique(config.targets, 'targets');
  unique(config.proxies, 'proxies');
  unique(config.profiles, 'profiles');
  if (config.reconnect.cap < config.reconnect.base) problems.push({ path: 'reconnect.cap', message: 'expected cap ≥ base' });
  config.targets.forEach((t, i) => {
    const host = new URL(t.url).hostname;
    if (t.url.startsWith('wss:') && isIP(host.replace(/^\[|\]$/g, '')) && t.tls.verify && !t.tls.servername) {
      problems.push({ path: `targets.${i}.tls.servername`, message: 'a wss:// URL with an IP address needs tls.servername to verify the certificate' });
    }
  });

  const profiles = new Map(BUILTIN_PROFILES.map((p) => [p.name, p]));
  for (const p of config.profiles) profiles.set(p.name, p);
  const targets = new Map(config.targets.map((t) => [t.name, t]));
  const proxies = new Map(config.proxies.map((p) => [p.name, toProxyConfig(p)]));

  const canaries: PlannedCanary[] = [];
  const keys = new Set<string>();
  config.paths.forEach((p, i) => {
    const pick = <T>(names: '*' | string[], from: Map<string, T>, field: 'targets' | 'proxies' | 'profiles'): T[] =>
      names === '*'
        ? [...from.values()]
        : names.flatMap((n, j) => {
            const v = from.get(n);
            if (!v) problems.push({ path: `paths.${i}.${field}.${j}`, message: `no ${SINGULAR[field]} named "${n}" (known: ${[...from.keys()].join(', ')})` });
            return v ? [v] : [];
          });
    const ts = pick(p.targets, targets, 'targets');
    const ps = pick(p.proxies, proxies, 'proxies');
    const prs = pick(p.profiles, profiles, 'profiles');
    for (const target of ts)
      for (const proxy of ps)
        for (const profile of prs) {
          const rungs: (number | undefined)[] = profile.kind === 'ladder' ? profile.gaps : [undefined];
          for (const gapMs of rungs)
            for (let n = 0; n < p.canaries; n++) {
              const profileLabel = gapMs === undefined ? profile.name : `${profile.name}/${gapMs / 1000}s`;
              const key = `${target.name}|${proxy.name}|${profileLabel}|${n}`;
              if (keys.has(key)) continue; // the same path listed twice is held once
              keys.add(key);
              canaries.push({ key, target, proxy, profile, gapMs, profileLabel });
            }
        }
  });
  if (problems.length > 0) throw new ConfigError(file, problems);
  return { config, canaries };
}

/** A human-readable plan for `--check`: no secrets. */
export function describePlan(p: ProbePlan): string {
  const lines = [`backend ${p.config.backend.url}`, `spool ${p.config.probe.spoolDir}`, `${p.canaries.length} canaries:`];
  for (const c of p.canaries) {
    const via = c.proxy.kind === 'direct' ? 'direct' : `${c.proxy.name} (${c.proxy.redactedUrl})`;
    lines.push(`  ${c.target.name} ${c.target.url} via ${via}, profile ${c.profileLabel}${describeProfile(c)}`);
  }
  return lines.join('\n');
}

function describeProfile(c: PlannedCanary): string {
  const p = c.profile;
  switch (p.kind) {
    case 'idle':
      return ': no traffic at all';
    case 'heartbeat':
      return `: ping every ${p.interval / 1000}s, pong deadline ${p.timeout / 1000}s`;
    case 'echo':
      return `: ${p.messageBytes}-byte message every ${p.interval / 1000}s, echo deadline ${p.timeout / 1000}s`;
    case 'ladder':
      return `: one ping after ${(c.gapMs ?? 0) / 1000}s idle, pong deadline ${p.timeout / 1000}s`;
  }
}
