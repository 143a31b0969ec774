/**
 * A running probe: the canaries, the durable spool they write to, the reporter that ships
 * it, a heartbeat, and the server's plan it follows beside probe.yaml's (agent/plan/follow.ts).
 * Used by the CLI and, in-process, by the quick-start demo.
 */
import { randomUUID } from 'node:crypto';
import { MAX_OPEN_SESSIONS_LISTED, type IngestEvent } from '../lib/contracts/ingest';
import type { Logger } from '../lib/log';
import type { ProbePlan } from './config';
import { createProbeMetrics, type ProbeMetrics } from './metrics';
import { OpenSessionJournal } from './open-sessions';
import { createPlanFollower, type PlanFollower, type PlanOverrides, type PlanView } from './plan/follow';
import { startReporter, type Reporter, type ReporterOptions } from './reporter';
import { startRunner, type Runner } from './runner';
import { dialPaceOf } from './schedule/dial-pacer';
import { Spool, type SpoolOptions } from './spool';
import { AGENT_VERSION } from './version';
import { moduleLogger } from '../lib/log';

export interface RunningProbe {
  runner: Runner;
  metrics: ProbeMetrics;
  reporter: Reporter;
  spool: Spool;
  /** The server plan the probe runs, what became of its paths here, and the last one it rejected. */
  plan(): PlanView;
  /** Stop canaries (reporting their endings), ship what is spooled (bounded), close. */
  stop(options?: { flushTimeoutMs?: number }): Promise<void>;
}

/**
 * A test seam: shorter waits (and timers) for the reporter and the spool, so a test can run
 * the real probe through an outage in seconds. Production callers pass nothing.
 */
export interface ProbeOverrides {
  reporter?: Partial<Pick<ReporterOptions, 'backoff' | 'unauthorizedRetryMs' | 'idlePollMs' | 'lingerMs' | 'timers'>>;
  spool?: Partial<Pick<SpoolOptions, 'retryMs' | 'memoryMaxEvents' | 'timers'>>;
  plan?: PlanOverrides;
}

/**
 * Open the spool in the plan's spoolDir, then start the reporter, the canaries and the heartbeat.
 * @throws what Spool.open throws when the spool directory cannot be used; the metrics
 *   listener's error when `metrics.listen` cannot be bound.
 */
export async function startProbe(plan: ProbePlan, log: Logger, overrides: ProbeOverrides = {}): Promise<RunningProbe> {
  const { config } = plan;
  const spool = await Spool.open(config.probe.spoolDir, { maxBytes: config.probe.spoolMaxBytes, log, ...overrides.spool });
  const reporter = startReporter({
    spool,
    backendUrl: config.backend.url,
    token: config.backend.token,
    log,
    ...overrides.reporter,
    backoff: overrides.reporter?.backoff ?? { baseMs: 1000, capMs: 60_000 },
  });

  // Appends are serialized by the spool; a failed append is a disk problem worth shouting about,
  // but it must not kill the canaries.
  let runner: Runner | undefined;
  let follower: PlanFollower | undefined;
  const metrics: ProbeMetrics = createProbeMetrics({ runner: () => runner, spool, reporter, plan: () => follower?.metrics() });
  const appending = new Set<Promise<void>>();
  const journal = new OpenSessionJournal(config.probe.spoolDir, { log: moduleLogger(log, 'open-sessions') });
  const emit = (event: IngestEvent) => {
    if (event.type === 'session.opened') journal.opened({ sessionId: event.sessionId, path: event.path, attemptedAt: event.attemptedAt, openedAt: event.openedAt });
    else if (event.type === 'session.ended') journal.closed(event.sessionId);
    metrics.observe(event);
    // The spool never refuses an event while open (a disk it cannot write holds events in
    // memory, counted and logged there): only an append racing the stop lands here.
    const p = spool
      .append([event])
      .catch((err: unknown) => log.error({ err, event: event.type }, 'spool append after close: event lost'))
      .finally(() => appending.delete(p));
    appending.add(p);
  };

  const orphans = journal.recover(new Date());
  if (orphans.length > 0) log.warn({ sessions: orphans.length }, 'closing sessions a previous probe process left open (it was killed)');
  for (const e of orphans) emit(e);

  // probe.yaml's paths, and the server's plan as cached last time; the server's current plan follows.
  const following = (follower = createPlanFollower({ config, local: plan.canaries, log, ...(overrides.plan && { overrides: overrides.plan }) }));
  const canaryLog = moduleLogger(log, 'canary');
  runner = startRunner(following.initial, {
    emit,
    clock: () => performance.now(),
    wall: () => new Date(),
    dialTimeoutMs: config.dial.timeout,
    dialPace: dialPaceOf(config.dial.rate),
    backoff: { baseMs: config.reconnect.base, capMs: config.reconnect.cap },
    onError: (err) => canaryLog.error({ err }, 'canary failed unexpectedly'),
  });

  const heartbeat = () => {
    // Every session this probe opened and has not ended, as emitted so far: the server
    // closes as lost the ones it still holds open and this list leaves out (issue 19).
    const open = journal.ids();
    emit({
      type: 'probe.heartbeat',
      id: randomUUID(),
      at: new Date().toISOString(),
      agentVersion: AGENT_VERSION,
      canaries: runner!.counts(),
      spoolDepth: spool.depth(),
      ...(open.length <= MAX_OPEN_SESSIONS_LISTED && { openSessions: open }),
    });
  };
  heartbeat();
  const heartbeatTimer = setInterval(heartbeat, config.probe.heartbeat);

  const running = runner;
  const metricsPort = config.metrics ? await metrics.listen(config.metrics.listen) : null;
  following.start(running);
  log.info({ canaries: following.initial.length, backend: config.backend.url, spool: config.probe.spoolDir, metricsPort, planFromServer: config.plan.fromServer }, 'probe started');
  return {
    runner: running,
    reporter,
    metrics,
    spool,
    plan: () => following.view(),
    async stop({ flushTimeoutMs = 5000 } = {}) {
      // No new plan may start canaries while they are being stopped.
      await following.stop();
      clearInterval(heartbeatTimer);
      await running.stop();
      // The canaries' final endings are on their way into the spool: let them land first.
      await Promise.all(appending);
      // Give the reporter a bounded chance to ship the final endings; whatever is left
      // stays in the spool and goes out at the next start.
      await Promise.race([reporter.flush(), new Promise((r) => setTimeout(r, flushTimeoutMs).unref())]);
      await reporter.stop();
      await spool.close();
      await metrics.close();
      log.info({ pending: spool.depth() }, 'probe stopped');
    },
  };
}
