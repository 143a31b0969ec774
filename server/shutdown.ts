/**
 * SIGTERM / SIGINT: drain and exit 0 within about two seconds, dashboard tabs open or not
 * (issue 19).
 *
 * What held the old stop until its 10 s force timer (exit 1, database left open): it closed
 * the background loops one after another, then socket.io, whose io.close() ends with
 * httpServer.close(callback), a callback that waits for every TCP connection the server
 * accepted to end; closeAllConnections() came only after it. And nothing ended them:
 * - io.close() closes its clients without telling them (no disconnect packet), so a
 *   dashboard's socket.io client takes it for a network blip and reconnects, over the
 *   keep-alive connections the browser still holds (the listening socket is closed, open
 *   connections still carry requests), starting a fresh long-poll each time;
 * - a keep-alive connection busy when close() ran is not idle then, and stays open after
 *   its answer (http.Server closes idle connections once, at close());
 * - an upgraded socket (a WebSocket, a canary) is no longer an HTTP connection: neither
 *   closeIdleConnections() nor closeAllConnections() ends it.
 * Measured with test/e2e/shutdown-scenario.ts (three socket.io clients, an ingest request in
 * flight on a keep-alive connection): the old stop took 6.5 s, 5 s of it Node's keep-alive
 * timeout on that one connection, and its clients saw 'transport close' (so they reconnect);
 * this drain took 0.6 s, 0.3 s of it the scenario's own wait, and its clients saw 'io server
 * disconnect'. A browser holds several such connections and reconnects over them, which is
 * how a tab reached the 10 s force timer (read from socket.io's code; not run in a browser).
 *
 * Now, in this order:
 * 1. readiness turns 503 (server/health.ts reads `shuttingDown`);
 * 2. every server stops accepting (close()), and live clients are told to go
 *    (`disconnectClients`: socket.io's disconnect packet, after which a client does not
 *    reconnect) while, at the same time, the background loops close (each bounded);
 * 3. requests in flight finish: idle keep-alive connections are closed as they become
 *    idle, and whatever is still open after `graceMs` (a body that dribbles, an upgraded
 *    socket) is destroyed. Every socket is tracked from its 'connection' event, so
 *    upgraded ones are counted too;
 * 4. the `last` steps in order (socket.io's own close, Next, the database), each bounded;
 * 5. exit 0, or 1 when a last step failed (the database did not close cleanly).
 * A force timer (`graceMs` + `forceAfterMs`) exits 1 if something still hangs.
 */
import type { Server } from 'node:http';
import type { Socket } from 'node:net';
import type { Logger } from '../lib/log';

export interface ShutdownStep {
  name: string;
  close: () => Promise<void> | void;
  /** How long this step may take (default: the shutdown's `stepTimeoutMs`). */
  timeoutMs?: number;
}

export interface ShutdownPlan {
  /** Tell live clients to go (called once the servers stopped accepting). */
  disconnectClients?: () => void;
  /** Background work, closed concurrently with the drain; each bounded by `stepTimeoutMs`. */
  loops: readonly ShutdownStep[];
  /** Closed in order once connections drained and loops closed; the database comes last. */
  last: readonly ShutdownStep[];
}

export interface ShutdownOptions {
  /** Servers whose connections are tracked and drained (the dashboard's, the metrics one). */
  servers: readonly Server[];
  log: Logger;
  /** How long requests in flight may take to finish (default 1.5 s). */
  graceMs?: number;
  /** How long one loop or last step may take before it is left behind (default 1 s). */
  stepTimeoutMs?: number;
  /** After the grace, how long before the force timer exits 1 (default 4 s). */
  forceAfterMs?: number;
  /** How often idle keep-alive connections are swept during the grace (default 25 ms). */
  sweepMs?: number;
  exit: (code: number) => void;
}

export interface Shutdown {
  /** True from the first signal on. */
  shuttingDown(): boolean;
  /** Open connections of the tracked servers (upgraded ones included). */
  openConnections(): number;
  /** Drain and exit; a second call returns the first's promise. Resolves with the exit code. */
  run(signal: string, plan: ShutdownPlan): Promise<number>;
}

type Outcome = 'done' | 'timeout' | 'failed';

async function bounded(step: ShutdownStep, defaultMs: number, log: Logger): Promise<Outcome> {
  const ms = step.timeoutMs ?? defaultMs;
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<Outcome>((resolve) => {
    timer = setTimeout(() => resolve('timeout'), ms);
  });
  const run = (async () => step.close())().then(
    (): Outcome => 'done',
    (err: unknown): Outcome => {
      log.error({ err, step: step.name }, 'closing failed during shutdown');
      return 'failed';
    },
  );
  const outcome = await Promise.race([run, timeout]);
  clearTimeout(timer);
  if (outcome === 'timeout') log.warn({ step: step.name, ms }, 'did not close in time during shutdown; left behind');
  return outcome;
}

/** Install connection tracking on `servers` now (before they listen) and return the drain. */
export function createShutdown(options: ShutdownOptions): Shutdown {
  const { log } = options;
  const graceMs = options.graceMs ?? 1_500;
  const stepTimeoutMs = options.stepTimeoutMs ?? 1_000;
  const sweepMs = options.sweepMs ?? 25;
  const sockets = new Set<Socket>();
  for (const server of options.servers) {
    server.on('connection', (socket: Socket) => {
      sockets.add(socket);
      socket.once('close', () => sockets.delete(socket));
    });
  }
  let stopping = false;
  let running: Promise<number> | null = null;

  /** Resolves when every tracked socket closed, or after the grace (then destroys the rest). */
  async function drain(): Promise<{ destroyed: number }> {
    const deadline = Date.now() + graceMs;
    // Bounded: at most graceMs / sweepMs sweeps.
    while (sockets.size > 0 && Date.now() < deadline) {
      // A keep-alive connection whose request just finished is idle now: end it.
      for (const server of options.servers) server.closeIdleConnections();
      if (sockets.size === 0) break;
      await new Promise((r) => setTimeout(r, Math.min(sweepMs, Math.max(1, deadline - Date.now()))));
    }
    const destroyed = sockets.size;
    if (destroyed > 0) {
      const closed = [...sockets].map((s) => new Promise<void>((resolve) => s.once('close', () => resolve())));
      for (const server of options.servers) server.closeAllConnections();
      for (const socket of sockets) socket.destroy();
      // 'close' follows destroy() within a tick; then the servers' close callbacks can fire.
      await Promise.all(closed);
    }
    return { destroyed };
  }

  async function run(signal: string, plan: ShutdownPlan): Promise<number> {
    stopping = true;
    const started = Date.now();
    log.info({ signal, connections: sockets.size }, 'shutting down');
    const force = setTimeout(() => {
      log.error({ afterMs: Date.now() - started }, 'shutdown did not finish; exiting anyway');
      options.exit(1);
    }, graceMs + (options.forceAfterMs ?? 4_000));
    force.unref();

    // Stop accepting; the callbacks are not awaited (they wait for the drain below).
    for (const server of options.servers) if (server.listening) server.close();
    try {
      plan.disconnectClients?.();
    } catch (err) {
      log.error({ err }, 'telling live clients to go failed');
    }
    const [drained, loops] = await Promise.all([drain(), Promise.all(plan.loops.map((s) => bounded(s, stepTimeoutMs, log)))]);
    if (drained.destroyed > 0) log.warn({ connections: drained.destroyed, graceMs }, 'connections still open after the grace were closed');
    let code = 0;
    for (const step of plan.last) {
      if ((await bounded(step, stepTimeoutMs, log)) !== 'done') code = 1;
    }
    clearTimeout(force);
    const left = loops.filter((o) => o !== 'done').length;
    log.info({ signal, ms: Date.now() - started, code, loopsLeftBehind: left, connectionsDestroyed: drained.destroyed }, 'shut down');
    options.exit(code);
    return code;
  }

  return {
    shuttingDown: () => stopping,
    openConnections: () => sockets.size,
    run(signal, plan) {
      return (running ??= run(signal, plan));
    },
  };
}
