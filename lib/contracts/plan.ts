/**
 * What a probe runs, as one schema for both sources: the entries of the probe's YAML
 * (agent/config.ts reads them from here) and the plan the server hands a probe at
 * `GET /api/v1/probe/plan`, with the status the probe reports back. Imports zod only: the
 * agent's one-file bundle carries this module.
 *
 * A server plan never holds a proxy's credentials: a proxy URL names them as `${VAR}`,
 * which the probe resolves from its own environment (issue 17).
 */
import { z } from 'zod';
import { durationMs } from './duration';

export { durationMs, formatPlanDuration, parseDurationMs } from './duration';

/** Where a probe fetches its plan, and where it reports what it made of it. */
export const PLAN_PATH = '/api/v1/probe/plan';
export const PLAN_STATUS_PATH = '/api/v1/probe/plan/status';

/**
 * A `${VAR}` placeholder. Global: reset `lastIndex` or use `String.replace`/`matchAll`,
 * which do.
 */
export const PLACEHOLDER = /\$\{([A-Za-z_][A-Za-z0-9_]*)\}/g;

export const name = z.string().regex(/^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/, 'expected a name of letters, digits, ".", "_" or "-"');

export const wsUrl = z.string().refine((u) => {
  try {
    const p = new URL(u);
    return (p.protocol === 'ws:' || p.protocol === 'wss:') && p.username === '' && p.password === '';
  } catch {
    return false;
  }
}, 'expected a ws:// or wss:// URL without credentials');

const PROXY_URL_MESSAGE = 'expected "direct" or a proxy URL: http://, https://, socks4://, socks4a://, socks5:// or socks5h://, [user:password@]host:port';

export const proxyUrl = z.string().refine((u) => {
  if (u === 'direct') return true;
  try {
    const p = new URL(u);
    return ['http:', 'https:', 'socks4:', 'socks4a:', 'socks5:', 'socks5h:'].includes(p.protocol) && p.hostname !== '' && p.pathname.replace(/\/$/, '') === '';
  } catch {
    return false;
  }
}, PROXY_URL_MESSAGE);

export const targetSchema = z.strictObject({
  name,
  url: wsUrl,
  // Values a request can carry: a CR, LF or NUL would make every dial throw, not refuse here.
  headers: z.record(z.string().regex(/^[A-Za-z0-9-]+$/, 'expected an HTTP header name'), z.string().regex(/^[^\r\n\0]*$/, 'expected a header value without line breaks or NUL')).default({}),
  subprotocols: z.array(z.string().regex(/^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/, 'expected a subprotocol token')).default([]),
  origin: z
    .string()
    .refine((o) => {
      try {
        return new URL(o).origin === o;
      } catch {
        return false;
      }
    }, 'expected an origin: scheme://host[:port], nothing after it')
    .optional(),
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

export const proxySchema = z.strictObject({ name, url: proxyUrl });

const timeout = durationMs(100, 600_000);
const MAX_MESSAGE_BYTES = 16 * 1024 * 1024;
export const profileSchema = z.discriminatedUnion('kind', [
  z.strictObject({ name, kind: z.literal('idle') }),
  z.strictObject({
    name,
    kind: z.literal('heartbeat'),
    interval: durationMs(100, 3_600_000),
    timeout,
    /**
     * End the session politely once it has been open this long (`hold: ...`), and reconnect:
     * a verification canary (does the fix hold for 3 × N?) or a reconnect schedule that
     * hands over before a lifetime limit. Absent: held until it dies.
     */
    hold: durationMs(1000, 7 * 86_400_000).optional(),
  }),
  z
    .strictObject({
      name,
      kind: z.literal('echo'),
      interval: durationMs(100, 3_600_000),
      timeout,
      messageBytes: z.number().int().min(16).max(MAX_MESSAGE_BYTES).default(64),
      /**
       * Grow the messages: each one twice the previous, from messageBytes up to this size,
       * then stay there. Finds the size at which a layer loses, cuts or refuses frames.
       */
      growTo: z.number().int().min(16).max(MAX_MESSAGE_BYTES).optional(),
    })
    .refine((p) => p.growTo === undefined || p.growTo >= p.messageBytes, { message: 'expected growTo ≥ messageBytes', path: ['growTo'] }),
  z.strictObject({
    name,
    kind: z.literal('ladder'),
    gaps: z.array(durationMs(1000, 86_400_000)).min(1).max(32),
    timeout,
  }),
  /**
   * The adaptive ladder: rungs whose gaps bisect the path's idle timeout
   * (lib/diagnosis/bisect.ts). Starts at `from`, doubles while rungs survive (up to `max`),
   * halves while they die (down to 1 s), then bisects until the bracket is within
   * max(0.5 s, 1 %); once there it keeps checking both edges, and starts over when a rung
   * contradicts the bracket. A path's `canaries` are the rungs run at once (at most 4).
   */
  z
    .strictObject({
      name,
      kind: z.literal('bisect'),
      from: durationMs(1000, 86_400_000).default(15_000),
      max: durationMs(1000, 86_400_000).default(1_800_000),
      timeout,
    })
    .refine((p) => p.max >= p.from, { message: 'expected max ≥ from', path: ['max'] }),
  /**
   * A ladder rung with TCP keepalive on the canary's socket: silent at the WebSocket level
   * for `gap`, with a keepalive probe every `keepalive`, then one ping. It survives an L4
   * layer's idle timeout (a NAT, a stateful firewall, an L4 load balancer) and dies at an
   * L7 proxy's, which reads the byte stream.
   */
  z
    .strictObject({
      name,
      kind: z.literal('keepalive'),
      gap: durationMs(1000, 86_400_000),
      keepalive: durationMs(1000, 7_200_000),
      timeout,
    })
    .refine((p) => p.keepalive < p.gap, { message: 'expected keepalive < gap (a probe must go out during the silence)', path: ['keepalive'] }),
]);
/** Rungs a bisect path runs at once, whatever its `canaries` says. */
export const MAX_BISECT_PARALLEL = 4;

export const pathSchema = z.strictObject({
  targets: z.union([z.literal('*'), z.array(name).min(1)]).default('*'),
  proxies: z.union([z.literal('*'), z.array(name).min(1)]).default('*'),
  profiles: z.array(name).min(1),
  /** Canaries to hold per target × proxy × profile (per gap, for a ladder). */
  canaries: z.number().int().min(1).max(1000).default(1),
});

/** The profiles every probe knows without a definition; a defined profile of the same name wins. */
export const BUILTIN_PROFILE_NAMES = ['idle', 'heartbeat', 'echo', 'ladder', 'bisect'] as const;

/**
 * The proxy every probe knows without a definition: no proxy. A server path may name it
 * without a stored proxy; the served plan then lists it as `{name: 'direct', url: 'direct'}`,
 * as the probe's YAML defaults it.
 */
export const BUILTIN_PROXY_NAME = 'direct';

export const CREDENTIALS_MESSAGE = "credentials stay on the probe: write ${VAR} and set it in the probe's environment";
const WHOLE_PLACEHOLDER = /^\$\{[A-Za-z_][A-Za-z0-9_]*\}$/;

/**
 * Why a proxy URL cannot be part of a server plan, or null when it can: "direct", or a
 * proxy URL whose user name and password, when present, are each exactly one `${VAR}` and
 * which has no placeholder anywhere else.
 */
export function proxyTemplateProblem(url: string): string | null {
  if (url === 'direct') return null;
  // The authority follows "scheme://" up to the first "/", "?" or "#"; its userinfo ends at
  // the last "@" (an "@" inside a password is written %40).
  const m = /^([A-Za-z][A-Za-z0-9+.-]*:\/\/)([^/?#]*)(.*)$/s.exec(url);
  if (!m) return PROXY_URL_MESSAGE;
  const [, scheme, authority, tail] = m as unknown as [string, string, string, string];
  const at = authority.lastIndexOf('@');
  const hostPort = at < 0 ? authority : authority.slice(at + 1);
  if ([scheme, hostPort, tail].some((part) => part.includes('${'))) return 'a ${VAR} may stand only for the proxy user name or password';
  if (!proxyUrl.safeParse(url.replace(PLACEHOLDER, 'x')).success) return PROXY_URL_MESSAGE;
  if (at < 0) return null;
  const userinfo = authority.slice(0, at);
  const colon = userinfo.indexOf(':');
  const parts = colon < 0 ? [userinfo] : [userinfo.slice(0, colon), userinfo.slice(colon + 1)];
  return parts.every((p) => WHOLE_PLACEHOLDER.test(p)) ? null : CREDENTIALS_MESSAGE;
}

/** A proxy URL as a server plan carries it: "direct", or a proxy URL whose userinfo parts are each one ${VAR}. */
export const proxyTemplateSchema: z.ZodType<string> = z.string().superRefine((url, ctx) => {
  const problem = proxyTemplateProblem(url);
  if (problem) ctx.addIssue({ code: 'custom', message: problem });
});

/** A target as a server plan carries it: no file on the probe's disk. */
export const serverTargetSchema = targetSchema.refine((t) => t.tls.caFile === undefined, {
  message: 'a server plan cannot name a file on the probe: set tls.caFile in probe.yaml instead',
  path: ['tls', 'caFile'],
});

export const experimentSchema = z.strictObject({
  id: z.number().int().positive(),
  target: name,
  proxy: name,
  profile: profileSchema,
  canaries: z.number().int().min(1).max(10).default(1),
  /** Why, for people: "verify a 30 s heartbeat against the 75 s idle cut". */
  purpose: z.string().max(256),
});
export type ExperimentSpec = z.output<typeof experimentSchema>;

/**
 * The first agent version that reads `experiments`: an older probe's strict plan schema
 * refuses a plan that holds them, whole. The server asks experiments of newer probes only.
 */
export const EXPERIMENTS_SINCE_AGENT = '0.2.0';

/** Whether a probe reporting `version` (major.minor.patch) reads experiments; an unknown version does not. */
export function readsExperiments(version: string | null): boolean {
  const m = /^(\d+)\.(\d+)\.(\d+)/.exec(version ?? '');
  if (!m) return false;
  const [a, b, c] = EXPERIMENTS_SINCE_AGENT.split('.').map(Number) as [number, number, number];
  const [x, y, z] = [Number(m[1]), Number(m[2]), Number(m[3])];
  return x !== a ? x > a : y !== b ? y > b : z >= c;
}

export const serverPlanSchema = z.strictObject({
  /** 16 hex digits of a hash of what the probe runs (db/queries/probe-plan.ts); also the ETag. */
  version: z.string().regex(/^[0-9a-f]{16}$/, 'expected 16 hex digits'),
  /** The fleet plan's revision when this was served: for people, not for comparing. */
  revision: z.number().int().nonnegative(),
  probe: z.strictObject({ name, labels: z.record(z.string(), z.string()) }),
  targets: z.array(serverTargetSchema).max(1000),
  proxies: z.array(z.strictObject({ name, url: proxyTemplateSchema })).max(1000),
  /** Only the profiles the paths name that are defined on the server; durations as formatPlanDuration strings. */
  profiles: z.array(profileSchema).max(1000),
  paths: z.array(pathSchema.extend({ id: z.number().int().positive() })).max(5000),
  /**
   * Experiments the server asks of this probe (issue 18): a verification canary with a
   * signature's recommended heartbeat, a reconnect schedule, a TCP keepalive rung. Each
   * names a target and a proxy by name, which the probe resolves among the definitions it
   * holds (its own and the server's), and only for a target × proxy it already runs: an
   * experiment never sends a canary anywhere the probe did not already go.
   */
  experiments: z.array(experimentSchema).max(200).default([]),
});
/** A server plan as the probe holds it after parsing (durations in ms). */
export type ServerPlan = z.output<typeof serverPlanSchema>;
/** A server plan as it travels (durations as strings, defaults not yet filled). */
export type ServerPlanWire = z.input<typeof serverPlanSchema>;

const text = (max: number) => z.string().max(max);
const count = z.number().int().nonnegative().max(10_000_000);

export const MAX_STATUS_PATHS = 500;
export const MAX_STATUS_BYTES = 256 * 1024;

export const planStatusSchema = z.strictObject({
  /** The server plan the probe runs; null while it runs none yet. */
  appliedVersion: z.string().max(64).nullable(),
  /** The latest server plan the probe could not use at all, with why. */
  rejected: z
    .strictObject({ version: z.string().max(64), issues: z.array(z.strictObject({ path: text(256), message: text(512) })).max(50) })
    .optional(),
  paths: z
    .array(
      z.strictObject({
        source: z.enum(['server', 'local', 'experiment']),
        /** The server path's or experiment's id; absent for a local path. */
        id: z.number().int().positive().optional(),
        target: name,
        proxy: name,
        /** The profile's name (a ladder's rungs summed). */
        profile: name,
        canaries: count,
        open: count,
        connecting: count,
        backoff: count,
        state: z.enum(['running', 'unconfigured']),
        reason: text(512).optional(),
        /** The plan field at fault, e.g. `proxies.0.url`. */
        field: text(256).optional(),
      }),
    )
    .max(MAX_STATUS_PATHS),
  /** More paths than MAX_STATUS_PATHS: the rest were left out. */
  truncated: z.boolean().default(false),
});
export type PlanStatusReport = z.output<typeof planStatusSchema>;
export type PlanStatusPath = PlanStatusReport['paths'][number];
