/**
 * The server's configuration: environment variables, overridable by command-line flags.
 * Parsed once with zod; a bad value stops the server with the variable's name.
 */
import { availableParallelism } from 'node:os';
import { z } from 'zod';
import { describeIssues, fieldIssues } from '../http/problem';
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
  /** How often dashboards get a coalesced live push, at most. */
  DROPSCOPE_LIVE_INTERVAL_MS: z.coerce.number().int().min(50).max(10_000).default(250),
  /** The built-in demo probe (quick start). Turn it off in production. */
  DROPSCOPE_DEMO: z.enum(['on', 'off']).default('on'),
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
   * Heavy reports (drops, analysis, a path's page) computed at once by this process; the rest
   * wait their turn (lib/http/report-slots.ts). Default: the machine's cores.
   */
  DROPSCOPE_REPORT_CONCURRENCY: z.coerce.number().int().min(1).max(64).default(() => Math.max(1, availableParallelism())),
});

export type ServerConfig = z.infer<typeof envSchema>;

export class ConfigError extends Error {
  readonly code = 'CONFIG_ERR_INVALID';
}

/** Flags win over the environment: `--port`, `--host`, `--data-dir`, `--database-url`. */
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

/** How many heavy reports run at once, read from the environment once. */
let reportConcurrency: number | undefined;
export function reportConcurrencyLimit(): number {
  return (reportConcurrency ??= parseServerConfig(process.env).DROPSCOPE_REPORT_CONCURRENCY);
}
