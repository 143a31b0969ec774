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
  const root = pino(
    {
      level: options.level ?? process.env.LOG_LEVEL ?? 'info',
      base: { service: 'dropscope' },
      redact: { paths: REDACT_PATHS, censor: '[redacted]' },
      timestamp: pino.stdTimeFunctions.isoTime,
    },
    options.destination,
  );
  roots.set(root, root);
  return root;
}

/** Each logger made here or by {@link moduleLogger}, mapped to the logger it descends from. */
const roots = new WeakMap<Logger, Logger>();

/**
 * A child logger for a module inside `parent`'s: `module` becomes a path ("server/demo-probe/spool")
 * and the parent's other bindings are kept. pino's own child() appends bindings, so nested
 * children printed "module" once per level, which JSON readers resolve to any one of them.
 */
export function moduleLogger(parent: Logger, name: string, bindings: Record<string, unknown> = {}): Logger {
  const root = roots.get(parent);
  if (!root) return parent.child({ module: name, ...bindings });
  // bindings() includes the root's own (pino keeps `base` there too): leave those to the root.
  const rootKeys = root.bindings() as Record<string, unknown>;
  const inherited = Object.fromEntries(Object.entries(parent.bindings() as Record<string, unknown>).filter(([k]) => !(k in rootKeys)));
  const path = typeof inherited.module === 'string' ? `${inherited.module}/${name}` : name;
  const child = root.child({ ...inherited, ...bindings, module: path });
  roots.set(child, root);
  return child;
}

const KEY = Symbol.for('dropscope.logger');
type Holder = { [KEY]?: Logger };

/** The process logger (shared across Next's bundles through globalThis). */
export function rootLogger(): Logger {
  const g = globalThis as Holder;
  return (g[KEY] ??= createLogger());
}
