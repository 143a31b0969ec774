/**
 * The alert machinery's hooks for route handlers, installed by the server (which runs the
 * evaluator and the webhook deliverer) and shared with Next's bundle through globalThis,
 * like the database. Without a server (tests of pure code, the CLI) nothing is installed.
 */
export interface AlertRuntime {
  /** The dashboard's public address, for links in webhook bodies. */
  publicUrl: string;
  /** One delivery attempt's limit: how long "send test" may wait for its answer. */
  deliveryTimeoutMs: number;
  /** Look at the outbox now instead of at the next poll (a test message was queued). */
  nudgeDeliveries(): void;
}

const KEY = Symbol.for('dropscope.alert-runtime');
type Holder = { [KEY]?: AlertRuntime };

export function installAlertRuntime(runtime: AlertRuntime | undefined): void {
  (globalThis as Holder)[KEY] = runtime;
}

export function alertRuntime(): AlertRuntime | undefined {
  return (globalThis as Holder)[KEY];
}
