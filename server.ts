/**
 * dropscope's one process: Next.js (dashboard and API) and socket.io (live pushes) on one
 * HTTP server and port. The database is opened here, once, before Next prepares, and
 * handed to route handlers through db/client.ts.
 */
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { Socket } from 'node:net';
import path from 'node:path';
import next from 'next';
import { isIngestRequest, serveIngestRequest } from './app/api/v1/ingest/node';
import { installDatabase, uninstallDatabase } from './db/client';
import { MIGRATIONS_DIR, openDatabase, type DatabaseConfig } from './db/open';
import { startTargetViewWriter } from './server/target-views';
import { startDemo } from './demo/run-demo';
import { createCanaryTarget } from './target/canary-target';
import { layersInUse } from './lib/config/layers';
import { applyProcessDefaults, parseServerConfig, serverMode } from './lib/config/server-env';
import { moduleLogger, rootLogger } from './lib/log';
import { startAdminSocket } from './server/admin-socket';
import { registerAlertMetrics } from './server/alerts/metrics';
import { startAlerts } from './server/alerts/start';
import { attachLive } from './server/live';
import { registerLiveMetrics } from './server/live-metrics';
import { createServerMetrics } from './server/metrics';
import { startEndingSealer } from './server/ending-sealer';
import { startRetention } from './server/retention';
import { parseExperimentsConfig } from './server/experiments/config';
import { startExperimentScheduler } from './server/experiments/scheduler';
import { prepareSecretKey } from './server/secret-key';
import { parseAuthConfig } from './lib/config/auth-env';
import { AUTH_BASE_PATH, createAuth, createAuthHandler } from './server/auth/auth';
import { ensureFirstAdmin } from './server/auth/first-admin';
import { createGate } from './server/auth/gate';
import { createHealth } from './server/health';
import { createShutdown, type ShutdownStep } from './server/shutdown';

const log = moduleLogger(rootLogger(), 'server');

async function main(): Promise<void> {
  // Before Next loads: no telemetry from a self-hosted monitor (NEXT_TELEMETRY_DISABLED).
  applyProcessDefaults(process.env);
  const config = parseServerConfig(process.env, process.argv.slice(2));
  // Next's dev server only from the source or when asked: the bundle is the production build.
  const dev = serverMode(process.env.NODE_ENV, process.argv[1]) === 'dev';
  const authConfig = parseAuthConfig(process.env);
  const experimentsConfig = parseExperimentsConfig(process.env);
  // A bad DROPSCOPE_LAYERS_FILE stops the start, not the first analysis request.
  const layers = layersInUse();
  const dbConfig: DatabaseConfig = config.DATABASE_URL
    ? {
        kind: 'postgres',
        url: config.DATABASE_URL,
        startWait: { waitMs: config.DROPSCOPE_DATABASE_WAIT_MS, onRetry: (err, attempt, delayMs) => log.warn({ err, attempt, delayMs }, 'cannot reach PostgreSQL yet; trying again') },
      }
    : { kind: 'pglite', dataDir: config.DROPSCOPE_DATA_DIR };
  const database = await openDatabase(dbConfig);
  installDatabase(database);
  log.info({ backend: database.kind, location: database.location, layers: layers.length }, 'database ready');
  // Before anything reads or writes a webhook secret; without a key on PostgreSQL the start stops here.
  const secretKey = await prepareSecretKey(config.DROPSCOPE_SECRET_KEY, database, moduleLogger(log, 'secret-key'));

  const app = next({ dev, dir: process.cwd(), hostname: config.HOST, port: config.PORT });
  await app.prepare();
  const handle = app.getRequestHandler();

  const metrics = createServerMetrics(database, moduleLogger(log, 'metrics'));
  const alertMetrics = registerAlertMetrics(metrics, database, moduleLogger(log, 'alert-metrics'));
  const serveMetrics = (res: ServerResponse) =>
    metrics.metrics().then(
      (text) => res.writeHead(200, { 'content-type': metrics.contentType }).end(text),
      (err: unknown) => {
        log.error({ err }, '/metrics failed');
        res.writeHead(500).end();
      },
    );
  // Who may do what: every request and socket passes the gate first (server/auth/gate.ts).
  const authLog = moduleLogger(log, 'auth');
  const auth = createAuth({ database, config: authConfig, secretKey, publicUrl: config.DROPSCOPE_PUBLIC_URL, log: authLog });
  const serveAuth = createAuthHandler(auth);
  const gate = createGate({ auth, database, publicUrl: config.DROPSCOPE_PUBLIC_URL, dev, trustedProxies: authConfig.DROPSCOPE_TRUSTED_PROXIES, log: authLog });
  // A request whose headers or body dribble in is cut after these, not Node's 300 s.
  const httpServer = createServer({ headersTimeout: 10_000, requestTimeout: 30_000, keepAliveTimeout: config.DROPSCOPE_KEEPALIVE_TIMEOUT_MS }, (req, res) => gate.handle(req, res, () => dispatch(req, res)));
  // /healthz and /readyz: public in the gate, answered before Next (server/health.ts).
  const health = createHealth({ database, migrationsDir: MIGRATIONS_DIR, shuttingDown: () => shutdown.shuttingDown(), log: moduleLogger(log, 'health') });
  const dispatch = (req: IncomingMessage, res: ServerResponse) => {
    if (health.serve(req, res)) return;
    // Served here, not by Next: scrapes stay cheap and do not depend on the app bundle.
    if (req.method === 'GET' && req.url === '/metrics') {
      void serveMetrics(res);
      return;
    }
    if (req.url?.startsWith(`${AUTH_BASE_PATH}/`)) {
      serveAuth(req, res).catch((err: unknown) => {
        log.error({ err, url: req.url }, 'sign-in request failed');
        if (!res.headersSent) res.writeHead(500).end();
      });
      return;
    }
    // Served here too, not by Next's request adapter: half the CPU per batch (bench/README.md).
    if (isIngestRequest(req)) {
      serveIngestRequest(req, res).catch((err: unknown) => {
        log.error({ err, url: req.url }, 'request failed');
        if (!res.headersSent) res.writeHead(500).end();
        else res.destroy();
      });
      return;
    }
    handle(req, res).catch((err: unknown) => {
      log.error({ err, url: req.url }, 'request failed');
      if (!res.headersSent) res.writeHead(500).end();
    });
  };
  // Prometheus without a token, on an address of its own (keep it off the public network).
  const metricsServer = authConfig.DROPSCOPE_METRICS_LISTEN ? createServer((req, res) => {
    if (health.serve(req, res)) return;
    if (req.method === 'GET' && new URL(req.url ?? '/', 'http://x').pathname === '/metrics') void serveMetrics(res);
    else res.writeHead(404).end();
  }) : null;
  // Tracks every connection from now on, upgraded ones included, for the drain (server/shutdown.ts).
  const shutdown = createShutdown({
    servers: metricsServer ? [httpServer, metricsServer] : [httpServer],
    log,
    graceMs: config.DROPSCOPE_SHUTDOWN_GRACE_MS,
    stepTimeoutMs: config.DROPSCOPE_SHUTDOWN_STEP_TIMEOUT_MS,
    exit: (code) => process.exit(code),
  });
  // On PostgreSQL, pushes reach the browsers of every server on the database (server/live-adapter.ts).
  const live = await attachLive(httpServer, { intervalMs: config.DROPSCOPE_LIVE_INTERVAL_MS, log: moduleLogger(log, 'live'), postgresUrl: config.DATABASE_URL, startWaitMs: config.DROPSCOPE_DATABASE_WAIT_MS, admit: gate.admitSocket, recheckMs: authConfig.DROPSCOPE_LIVE_RECHECK_MS });
  registerLiveMetrics(metrics);
  // The built-in target's views go through a spool in the data directory, as a probe's
  // events do: never lost while the database cannot be reached.
  const targetViews = await startTargetViewWriter({ dataDir: config.DROPSCOPE_DATA_DIR, db: database.db, log: moduleLogger(log, 'canary-target') });
  const target = createCanaryTarget({
    name: config.DROPSCOPE_TARGET_NAME,
    onSessionEnded: (view) => targetViews.write(view),
  });
  // Other upgrades (socket.io, Next's HMR in dev) have listeners of their own.
  httpServer.on('upgrade', (req, socket, head) => void target.handleUpgrade(req, socket as Socket, head));
  const admin = database.kind === 'pglite' ? await startAdminSocket(config.DROPSCOPE_DATA_DIR, database, log, target) : null;

  await new Promise<void>((resolve, reject) => {
    httpServer.once('error', reject);
    httpServer.listen(config.PORT, config.HOST, resolve);
  });
  const address = httpServer.address();
  const port = typeof address === 'object' && address ? address.port : config.PORT;
  if (metricsServer) {
    const [, host, metricsPort] = /^\[?(.*?)\]?:(\d+)$/.exec(authConfig.DROPSCOPE_METRICS_LISTEN!)!;
    await new Promise<void>((resolve, reject) => {
      metricsServer.once('error', reject);
      metricsServer.listen(Number(metricsPort), host, resolve);
    });
    log.info({ listen: authConfig.DROPSCOPE_METRICS_LISTEN }, '/metrics served without a token on its own address');
  }
  const setup = await ensureFirstAdmin(database, authConfig, authLog, new Date());
  if (setup) {
    const link = `${config.DROPSCOPE_PUBLIC_URL ?? `http://localhost:${port}`}/setup?token=${setup.setupToken}`;
    // For the person at the terminal; valid once, for a day, and only while nobody has an account.
    process.stderr.write(`\nNobody can sign in yet. Create the first admin at:\n\n  ${link}\n\n(or stop and set DROPSCOPE_ADMIN_EMAIL and DROPSCOPE_ADMIN_PASSWORD, or run \`npm run dropscope -- user add <email> --role admin\`)\n\n`);
  }
  // Tests and scripts wait for this exact line to learn the port when PORT=0.
  log.info({ port, url: `http://localhost:${port}/`, dev }, 'dropscope listening');

  const alerts = startAlerts({
    database,
    publicUrl: config.DROPSCOPE_PUBLIC_URL ?? `http://localhost:${port}`,
    layers,
    intervalMs: config.DROPSCOPE_ALERT_INTERVAL_MS,
    pollMs: config.DROPSCOPE_WEBHOOK_POLL_MS,
    timeoutMs: config.DROPSCOPE_WEBHOOK_TIMEOUT_MS,
    policy: { baseMs: config.DROPSCOPE_WEBHOOK_RETRY_BASE_MS, maxMs: config.DROPSCOPE_WEBHOOK_RETRY_MAX_MS, giveUpAfterMs: config.DROPSCOPE_WEBHOOK_GIVE_UP_AFTER_MS },
    secretKey,
    outboundAllow: config.DROPSCOPE_OUTBOUND_ALLOW,
    metrics: alertMetrics,
    log,
  });

  // Hours of endings are sealed into their aggregate once closed (db/queries/ending-bins.ts).
  const sealer = startEndingSealer({ database, intervalMs: 30_000, log: moduleLogger(log, 'ending-sealer') });
  // Days of raw sessions ahead of the clock created, past ones dropped (db/queries/retention.ts).
  const retention = startRetention({ database, policy: { rawMs: config.DROPSCOPE_RETENTION_RAW, aggregatesMs: config.DROPSCOPE_RETENTION_AGGREGATES }, log: moduleLogger(log, 'retention') });
  // Experiments asked of probes through their plans: verify a signature's fix (issue 18).
  const experiments = experimentsConfig.DROPSCOPE_EXPERIMENTS === 'on' ? startExperimentScheduler({ database, layers, log: moduleLogger(log, 'experiments') }) : null;

  const demo =
    config.DROPSCOPE_DEMO === 'on'
      ? await startDemo({
          database,
          serverPort: port,
          spoolDir: database.kind === 'pglite' ? path.join(database.location, 'demo-spool') : undefined,
          log,
        })
      : null;

  // SIGTERM drains within about 2 s (server/shutdown.ts): readiness 503 at once, no new
  // connections, live clients told to go, requests in flight finished, then the database.
  const stop = (signal: string) => {
    const loops: ShutdownStep[] = [
      { name: 'alerts', close: () => alerts.close() },
      { name: 'ending sealer', close: () => sealer.close() },
      { name: 'retention', close: () => retention.close() },
      // The target's last views go through its writer: the writer closes after the target.
      {
        name: 'canary target',
        close: async () => {
          await target.close();
          await targetViews.close();
        },
      },
    ];
    if (demo) loops.push({ name: 'demo', close: () => demo.stop() });
    if (experiments) loops.push({ name: 'experiments', close: () => experiments.close() });
    if (admin) loops.push({ name: 'admin socket', close: () => admin.close() });
    void shutdown.run(signal, {
      disconnectClients: () => {
        // The disconnect packet: socket.io-client does not reconnect after it.
        live.io.local.disconnectSockets(true);
        // Connections still mid-handshake, and any pending long-poll, answered and closed.
        live.io.engine.close();
      },
      loops,
      last: [
        { name: 'live', close: () => live.close() },
        { name: 'next', close: async () => app.close?.() },
        {
          name: 'database',
          // PGlite flushes on close: give it time rather than exit in the middle.
          timeoutMs: Math.max(2_500, config.DROPSCOPE_SHUTDOWN_STEP_TIMEOUT_MS),
          close: async () => {
            uninstallDatabase(database);
            await database.close();
          },
        },
      ],
    });
  };
  process.on('SIGINT', () => stop('SIGINT'));
  process.on('SIGTERM', () => stop('SIGTERM'));
}

main().catch((err: unknown) => {
  const e = err as Error & { code?: string };
  log.fatal({ err: e, code: e.code }, 'dropscope could not start');
  // The log line is JSON for machines; say it plainly for the person at the terminal too.
  process.stderr.write(`\ndropscope could not start: ${e.message}\n`);
  process.exit(1);
});
