/**
 * The server's configuration: environment variables, overridable by command-line flags.
 * Parsed once with zod; a bad value stops the server with the variable's name.
 */
import { availableParallelism } from 'node:os';
import { z } from 'zod';
import { MAX_BATCH_EVENTS } from '../contracts/ingest';
import { parseSecretKey } from '../crypto/secret-box';
import { describeIssues, fieldIssues } from '../http/problem';
import { parseAllowList, type OutboundAllowList } from '../net/allow-list';
import { parseRetention } from '../retention/partitions';

/** A retention period (lib/retention/partitions.ts parseRetention), in ms. */
const retention = (fallback: string) =>
  z
    .string()
    .default(fallback)
    .transform((text, ctx) => {
      const ms = parseRetention(text);
      if (ms === null) {
        ctx.addIssue({ code: 'custom', message: `expected a period such as 30d, 36h or 90m, got ${JSON.stringify(text)}` });
        return z.NEVER;
      }
      return ms;
    });

/** A period as `retention` reads it, in ms; undefined when unset (the caller's default applies). */
const optionalPeriod = () =>
  z
    .string()
    .optional()
    .transform((text, ctx) => {
      if (text === undefined || text.trim() === '') return undefined;
      const ms = parseRetention(text);
      if (ms === null) {
        ctx.addIssue({ code: 'custom', message: `expected a period such as 30d, 36h or 90m, got ${JSON.stringify(text)}` });
        return z.NEVER;
      }
      return ms;
    });

const envSchema = z.object({
  PORT: z.coerce.number().int().min(0).max(65535).default(3000),
  HOST: z.string().min(1).default('0.0.0.0'),
  DATABASE_URL: z
    .string()
    .regex(/^postgres(ql)?:\/\//, 'expected a postgres:// or postgresql:// URL')
    .optional()
    .or(z.literal('').transform(() => undefined)),
  DROPSCOPE_DATA_DIR: z.string().min(1).default('./data'),
  DROPSCOPE_INGEST_MAX_BYTES: z.coerce.number().int().min(1024).max(256 * 1024 * 1024).default(1024 * 1024),
  /**
   * Ingest plausibility (lib/contracts/ingest.ts IngestLimits): the oldest instant accepted,
   * before the skew. Default: DROPSCOPE_RETENTION_RAW. A probe's spool is bounded by bytes,
   * not age, so what is worth replaying is what the server keeps.
   */
  DROPSCOPE_INGEST_MAX_AGE: optionalPeriod(),
  /** How far a probe's clock may be off the server's (and step during a session). */
  DROPSCOPE_INGEST_CLOCK_SKEW: retention('5m'),
  /** The longest session duration accepted (past the 5 days of Linux conntrack, the longest layer timeout known). */
  DROPSCOPE_INGEST_MAX_DURATION: retention('7d'),
  /**
   * Per-probe rate limit on ingest (lib/ingest/rate-limit.ts): events per second, with a
   * burst of DROPSCOPE_INGEST_BURST events (at least a whole batch of MAX_BATCH_EVENTS); a
   * batch counts as at least MIN_BATCH_COST events. Over it: 429 with Retry-After.
   */
  DROPSCOPE_INGEST_RATE: z.coerce.number().positive().max(10_000_000).default(2_000),
  DROPSCOPE_INGEST_BURST: z.coerce.number().int().min(MAX_BATCH_EVENTS).max(100_000_000).default(10_000),
  /** A request body not fully arrived this long after its reading began is answered 408 and its socket closed. */
  DROPSCOPE_INGEST_BODY_TIMEOUT_MS: z.coerce.number().int().min(50).max(300_000).default(10_000),
  /**
   * How long an idle keep-alive connection stays open. Node's default of 5 s is shorter than
   * the idle timeout of the load balancer in front (AWS ALB 60 s, nginx upstream keepalive
   * 60 s): the balancer then reuses a connection the server has just closed, and answers a
   * 502. 65 s outlasts the common ones; set it above yours.
   */
  DROPSCOPE_KEEPALIVE_TIMEOUT_MS: z.coerce.number().int().min(1_000).max(600_000).default(65_000),
  /**
   * How long a server starting on PostgreSQL keeps trying to reach it before it gives up
   * (db/start-wait.ts): started with its database (a rolling deploy, a reboot), it waits.
   */
  DROPSCOPE_DATABASE_WAIT_MS: z.coerce.number().int().min(0).max(600_000).default(30_000),
  /**
   * SIGTERM's drain (server/shutdown.ts): how long requests in flight may take to finish
   * before their connections are destroyed, and how long each closing step (socket.io, the
   * loops, the database) may take before it is left behind. The defaults end a drain within
   * 2 s; raise them when a load balancer or systemd allows longer (TimeoutStopSec).
   */
  DROPSCOPE_SHUTDOWN_GRACE_MS: z.coerce.number().int().min(0).max(600_000).default(1_500),
  DROPSCOPE_SHUTDOWN_STEP_TIMEOUT_MS: z.coerce.number().int().min(10).max(600_000).default(1_000),
  /** How often dashboards get a coalesced live push, at most. */
  DROPSCOPE_LIVE_INTERVAL_MS: z.coerce.number().int().min(50).max(10_000).default(250),
  /**
   * The built-in demo probe and its 20 s idle proxy. Off unless asked for (`npm start --
   * --demo`, the quick start's way): a production server must not measure a made-up proxy
   * into its alerts and reports.
   */
  DROPSCOPE_DEMO: z.enum(['on', 'off']).default('off'),
  /** Name the built-in canary target reports (it serves /canary on this server). */
  DROPSCOPE_TARGET_NAME: z.string().regex(/^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/).default('builtin'),
  /**
   * How long raw session rows are kept (`30d`, `36h`, or days): older days of
   * canary_sessions are dropped whole (lib/retention/partitions.ts).
   */
  DROPSCOPE_RETENTION_RAW: retention('30d'),
  /** How long the aggregates are kept (ending_packs, attempt_lifetimes, duration_bins, the rollups); at least the raw retention. */
  DROPSCOPE_RETENTION_AGGREGATES: retention('400d'),
  /** How often alert rules are evaluated. */
  DROPSCOPE_ALERT_INTERVAL_MS: z.coerce.number().int().min(100).max(3_600_000).default(15_000),
  /** The dashboard's address as receivers should link to it; default http://localhost:PORT. */
  DROPSCOPE_PUBLIC_URL: z
    .url({ protocol: /^https?$/, error: 'expected an http:// or https:// URL' })
    .optional()
    .or(z.literal('').transform(() => undefined)),
  /** Webhook retries: full-jitter exponential backoff from BASE up to MAX, until a message is GIVE_UP_AFTER old. */
  DROPSCOPE_WEBHOOK_RETRY_BASE_MS: z.coerce.number().int().min(1).max(3_600_000).default(5_000),
  DROPSCOPE_WEBHOOK_RETRY_MAX_MS: z.coerce.number().int().min(1).max(86_400_000).default(3_600_000),
  DROPSCOPE_WEBHOOK_GIVE_UP_AFTER_MS: z.coerce.number().int().min(1000).max(30 * 86_400_000).default(25 * 3_600_000),
  /** One delivery attempt's limit, connect to last byte. */
  DROPSCOPE_WEBHOOK_TIMEOUT_MS: z.coerce.number().int().min(100).max(120_000).default(10_000),
  /** How often the outbox is checked for due retries (new messages are sent at once). */
  DROPSCOPE_WEBHOOK_POLL_MS: z.coerce.number().int().min(50).max(60_000).default(1_000),
  /**
   * Internal destinations webhooks may reach, comma-separated CIDRs and host names
   * (lib/net/allow-list.ts); loopback, private, link-local and other special addresses
   * are refused otherwise (lib/net/outbound-guard.ts). Empty by default.
   */
  DROPSCOPE_OUTBOUND_ALLOW: z
    .string()
    .default('')
    .transform((text, ctx) => {
      try {
        return parseAllowList(text);
      } catch (err) {
        ctx.addIssue({ code: 'custom', message: (err as Error).message });
        return z.NEVER;
      }
    }),
  /**
   * The key webhook secrets are encrypted with at rest (lib/crypto/secret-box.ts): 32
   * random bytes, base64 or hex (`openssl rand -base64 32`). Required on PostgreSQL, the
   * same on every server of a database; on PGlite, when unset, generated once into the
   * data directory (server/secret-key.ts). The message of a bad value never repeats it.
   */
  DROPSCOPE_SECRET_KEY: z
    .string()
    .optional()
    .transform((text, ctx) => {
      if (text === undefined || text.trim() === '') return undefined;
      try {
        return parseSecretKey(text);
      } catch (err) {
        ctx.addIssue({ code: 'custom', message: (err as Error).message });
        return z.NEVER;
      }
    }),
  /**
   * Heavy reports (drops, analysis, a path's page) computed at once by this process; the rest
   * wait their turn (lib/http/report-slots.ts). Default: the machine's cores.
   */
  DROPSCOPE_REPORT_CONCURRENCY: z.coerce.number().int().min(1).max(64).default(() => Math.max(1, availableParallelism())),
});

export type ServerConfig = z.infer<typeof envSchema>;

export class ConfigError extends Error {
  readonly code = 'CONFIG_ERR_INVALID';
}

/**
 * Flags win over the environment: `--port`, `--host`, `--data-dir`, `--database-url`,
 * `--demo on|off` (a bare `--demo` is `--demo on`).
 */
export function parseServerConfig(env: Record<string, string | undefined>, argv: readonly string[] = []): ServerConfig {
  const flags: Record<string, string> = {};
  const names: Record<string, keyof ServerConfig> = {
    '--port': 'PORT',
    '--host': 'HOST',
    '--data-dir': 'DROPSCOPE_DATA_DIR',
    '--database-url': 'DATABASE_URL',
    '--demo': 'DROPSCOPE_DEMO',
  };
  for (let i = 0; i < argv.length; i++) {
    const [flag, inline] = (argv[i] ?? '').split(/=(.*)/s, 2) as [string, string | undefined];
    const key = names[flag];
    if (!key) throw new ConfigError(`unknown option ${flag}; expected one of ${Object.keys(names).join(', ')}`);
    if (key === 'DROPSCOPE_DEMO' && inline === undefined && (argv[i + 1] === undefined || argv[i + 1]!.startsWith('-'))) {
      flags[key] = 'on';
      continue;
    }
    const value = inline ?? argv[++i];
    if (value === undefined) throw new ConfigError(`option ${flag} needs a value`);
    flags[key] = value;
  }
  const parsed = envSchema.safeParse({ ...pick(env, Object.keys(envSchema.shape)), ...flags });
  if (!parsed.success) throw new ConfigError(`invalid configuration: ${describeIssues(fieldIssues(parsed.error), 10)}`);
  if (parsed.data.DROPSCOPE_RETENTION_AGGREGATES < parsed.data.DROPSCOPE_RETENTION_RAW) {
    throw new ConfigError('invalid configuration: DROPSCOPE_RETENTION_AGGREGATES must be at least DROPSCOPE_RETENTION_RAW (the aggregates answer what the raw rows no longer can)');
  }
  return parsed.data;
}

/**
 * Next's dev server or the production build, from NODE_ENV and the file the process runs.
 * The source (`tsx server.ts`, `npm run dev`) is dev unless NODE_ENV=production, as ever.
 * The bundle (dist/server.mjs) is the production build: run directly (systemd, a container)
 * without NODE_ENV it used to start Next's dev server, compiling pages on demand under a
 * content security policy loosened for it. It now needs NODE_ENV said: production (npm start
 * sets it) or development.
 * @throws ConfigError for the bundle without NODE_ENV=production or development.
 */
export function serverMode(nodeEnv: string | undefined, entry: string | undefined): 'dev' | 'production' {
  if (nodeEnv === 'production') return 'production';
  if (nodeEnv === 'development' || /\.[cm]?tsx?$/.test(entry ?? '')) return 'dev';
  throw new ConfigError(
    `NODE_ENV is ${nodeEnv === undefined ? 'unset' : JSON.stringify(nodeEnv)}: ${entry ?? 'the server'} is the production build; run it with NODE_ENV=production (npm start does), or NODE_ENV=development for Next's dev server`,
  );
}

/**
 * Process-wide defaults the server sets before Next loads, unless the environment says
 * otherwise: Next's telemetry off (a self-hosted monitor reports to nobody). Mutates `env`.
 */
export function applyProcessDefaults(env: Record<string, string | undefined>): void {
  env.NEXT_TELEMETRY_DISABLED ??= '1';
}

function pick(env: Record<string, string | undefined>, keys: string[]): Record<string, string> {
  const out: Record<string, string> = {};
  for (const k of keys) {
    const v = env[k];
    if (v !== undefined) out[k] = v;
  }
  return out;
}

/** The ingest body limit for route handlers, read from the environment once. */
let ingestLimit: number | undefined;
export function ingestMaxBytes(): number {
  return (ingestLimit ??= parseServerConfig(process.env).DROPSCOPE_INGEST_MAX_BYTES);
}

/** The ingest settings besides the body limit (lib/ingest/settings.ts), from a parsed configuration. */
export interface IngestSettings {
  limits: { maxAgeMs: number; skewMs: number; maxDurationMs: number };
  rate: { eventsPerSecond: number; burst: number };
  bodyTimeoutMs: number;
}
export function ingestSettingsOf(config: ServerConfig): IngestSettings {
  return {
    limits: {
      maxAgeMs: config.DROPSCOPE_INGEST_MAX_AGE ?? config.DROPSCOPE_RETENTION_RAW,
      skewMs: config.DROPSCOPE_INGEST_CLOCK_SKEW,
      maxDurationMs: config.DROPSCOPE_INGEST_MAX_DURATION,
    },
    rate: { eventsPerSecond: config.DROPSCOPE_INGEST_RATE, burst: config.DROPSCOPE_INGEST_BURST },
    bodyTimeoutMs: config.DROPSCOPE_INGEST_BODY_TIMEOUT_MS,
  };
}

/** The ingest settings for route handlers, read from the environment once. */
let ingestSettingsRead: IngestSettings | undefined;
export function ingestSettings(): IngestSettings {
  return (ingestSettingsRead ??= ingestSettingsOf(parseServerConfig(process.env)));
}

/** How many heavy reports run at once, read from the environment once. */
let reportConcurrency: number | undefined;
export function reportConcurrencyLimit(): number {
  return (reportConcurrency ??= parseServerConfig(process.env).DROPSCOPE_REPORT_CONCURRENCY);
}

/** DROPSCOPE_OUTBOUND_ALLOW for route handlers (checking a webhook's URL), read from the environment once. */
let outboundAllow: OutboundAllowList | undefined;
export function outboundAllowList(): OutboundAllowList {
  return (outboundAllow ??= parseServerConfig(process.env).DROPSCOPE_OUTBOUND_ALLOW);
}
