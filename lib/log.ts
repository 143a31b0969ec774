/**
 * The one logger. JSON lines on stdout; secrets are redacted by path so a token or a
 * proxy password never reaches a log even when someone logs a whole object.
 */
import pino from 'pino';

export type Logger = pino.Logger;

export const REDACT_PATHS = [
  'token',
  '*.token',
  'authorization',
  '*.authorization',
  'headers.authorization',
  'req.headers.authorization',
  'password',
  '*.password',
  'databaseUrl',
];

export function createLogger(options: { level?: string; destination?: pino.DestinationStream } = {}): Logger {
  return pino(
    {
      level: options.level ?? process.env.LOG_LEVEL ?? 'info',
      base: { service: 'dropscope' },
      redact: { paths: REDACT_PATHS, censor: '[redacted]' },
      timestamp: pino.stdTimeFunctions.isoTime,
    },
    options.destination,
  );
}

const KEY = Symbol.for('dropscope.logger');
type Holder = { [KEY]?: Logger };

/** The process logger (shared across Next's bundles through globalThis). */
export function rootLogger(): Logger {
  const g = globalThis as Holder;
  return (g[KEY] ??= createLogger());
}
