/**
 * The probe following the server's plan: it starts from probe.yaml's paths plus the server
 * plan it cached last time, then fetches the plan (agent/plan/fetcher.ts), resolves each new
 * one on this probe (server-plan.ts), applies the union with the local paths to the runner
 * (merge.ts; only changed units restart), caches it (cache.ts) and tells the server how it
 * went (status.ts). A plan it cannot read is rejected whole: the probe keeps what it runs
 * and reports why.
 */
import type { Logger } from '../../lib/log';
import { moduleLogger } from '../../lib/log';
import type { ServerPlan } from '../../lib/contracts/plan';
import type { ConfigProblem, PlannedCanary, ProbeConfig } from '../config';
import type { Timers } from '../report/types';
import type { Runner } from '../runner';
import { readPlanCache, writePlanCache } from './cache';
import { startPlanFetcher, type PlanFetcher, type PlanFetcherOptions } from './fetcher';
import { mergePlans } from './merge';
import { resolveServerPlan, type PathOutcome, type ResolveContext } from './server-plan';
import { buildPlanStatus, createStatusSender, type StatusSender } from './status';

export interface PlanView {
  /** The server plan running; null while none is. */
  appliedVersion: string | null;
  outcomes: readonly PathOutcome[];
  rejected: { version: string; issues: ConfigProblem[] } | undefined;
}

/** Test seams: production callers pass nothing. */
export type PlanOverrides = Partial<Pick<PlanFetcherOptions, 'fetch' | 'timers' | 'random' | 'unauthorizedRetryMs' | 'absentPollMs' | 'requestTimeoutMs' | 'pollMs'>> & {
  /** Where `${VAR}` in server plans is looked up; default process.env. */
  env?: Record<string, string | undefined>;
  /** How often changed counts are reported at most; default the probe's heartbeat. */
  statusEveryMs?: number;
  statusTimers?: Timers;
};

export interface PlanFollower {
  /** For the probe's metrics. */
  metrics(): { appliedAt: number | null; fetchFailures: number };
  /** What the runner starts with: the local canaries and the cached server plan's. */
  readonly initial: PlannedCanary[];
  /** Start fetching (when `plan.fromServer`), applying to `runner`. */
  start(runner: Runner): void;
  view(): PlanView;
  /** No more fetches or reports; waits for an apply in progress. */
  stop(): Promise<void>;
  fetcher(): PlanFetcher | null;
}

export function createPlanFollower(options: { config: ProbeConfig; local: readonly PlannedCanary[]; log: Logger; overrides?: PlanOverrides }): PlanFollower {
  const { config, local } = options;
  const overrides = options.overrides ?? {};
  const log = moduleLogger(options.log, 'plan');
  const ctx: ResolveContext = { local: config, env: overrides.env ?? process.env, allowEnv: new Set(config.plan.env), localCanaries: local, experimentsOnly: config.plan.fromServer === 'experiments' };
  const spoolDir = config.probe.spoolDir;
  const statusEveryMs = overrides.statusEveryMs ?? config.probe.heartbeat;
  const timers: Timers = overrides.statusTimers ?? { setTimeout: (fn, ms) => setTimeout(fn, ms).unref(), clearTimeout: (h) => clearTimeout(h as NodeJS.Timeout) };

  let applied: { version: string; etag: string | null; outcomes: PathOutcome[]; canaries: PlannedCanary[] } | null = null;
  let rejected: PlanView['rejected'];
  const cached = config.plan.fromServer ? readPlanCache(spoolDir, log) : null;
  if (cached) {
    const r = resolveServerPlan(cached.plan, ctx);
    if (r.ok) {
      applied = { version: cached.plan.version, etag: cached.etag, outcomes: r.paths, canaries: r.canaries };
      log.info({ version: cached.plan.version, canaries: r.canaries.length }, 'running the cached server plan until the backend sends its current one');
    } else log.warn({ issues: r.issues.slice(0, 5) }, 'the cached server plan cannot be used: starting without it');
  }

  let fetcher: PlanFetcher | null = null;
  let sender: StatusSender | null = null;
  let runner: Runner | null = null;
  let statusTimer: unknown = null;
  let lastSent: string | null = null;
  let lastSentAt = -Infinity;
  let appliedAt: number | null = null;

  const view = (): PlanView => ({ appliedVersion: applied?.version ?? null, outcomes: applied?.outcomes ?? [], rejected });

  /** Report now when forced (a plan applied or rejected), else only what changed, at most once per statusEveryMs. */
  const report = (force: boolean) => {
    if (!sender || !runner || !fetcher?.stats().served) return;
    const status = buildPlanStatus({ ...view(), local, counts: runner.countsByUnit() });
    const text = JSON.stringify(status);
    const now = performance.now();
    if (!force && (text === lastSent || now - lastSentAt < statusEveryMs)) return;
    lastSent = text;
    lastSentAt = now;
    void sender.send(status);
  };

  const tick = () => {
    statusTimer = timers.setTimeout(tick, statusEveryMs);
    report(false);
  };

  const onPlan = async (plan: ServerPlan, etag: string | null, wire: unknown) => {
    const r = resolveServerPlan(plan, ctx);
    if (!r.ok) {
      rejected = { version: plan.version, issues: r.issues };
      log.error({ version: plan.version, issues: r.issues.slice(0, 5) }, 'rejected the server plan: keeping the current plan');
      report(true);
      return;
    }
    rejected = undefined;
    applied = { version: plan.version, etag, outcomes: r.paths, canaries: r.canaries };
    appliedAt = Date.now();
    const applying = runner!.apply(mergePlans(local, r.canaries));
    writePlanCache(spoolDir, { etag, wire }, log);
    const unconfigured = r.paths.filter((p) => p.state === 'unconfigured');
    if (unconfigured.length > 0) {
      log.warn({ version: plan.version, paths: unconfigured.slice(0, 10).map((p) => ({ id: p.id, reason: p.reason, field: p.field })) }, 'some server paths cannot run on this probe');
    }
    report(true);
    const result = await applying;
    log.info({ version: plan.version, revision: plan.revision, ...result, unconfigured: unconfigured.length }, 'applied the server plan');
  };

  return {
    initial: mergePlans(local, applied?.canaries ?? []),
    start(r) {
      runner = r;
      if (!config.plan.fromServer) return;
      sender = createStatusSender({ backendUrl: config.backend.url, token: config.backend.token, log, ...(overrides.fetch && { fetch: overrides.fetch }) });
      fetcher = startPlanFetcher({
        backendUrl: config.backend.url,
        token: config.backend.token,
        pollMs: overrides.pollMs ?? config.plan.poll,
        log,
        etag: applied?.etag ?? null,
        onPlan,
        onInvalid: (issues, version) => {
          rejected = { version, issues };
          report(true);
        },
        onServed: () => report(lastSent === null),
        ...pick(overrides, ['fetch', 'timers', 'random', 'unauthorizedRetryMs', 'absentPollMs', 'requestTimeoutMs']),
      });
      statusTimer = timers.setTimeout(tick, statusEveryMs);
    },
    view,
    fetcher: () => fetcher,
    metrics: () => ({ appliedAt, fetchFailures: fetcher?.stats().failures ?? 0 }),
    async stop() {
      if (statusTimer !== null) timers.clearTimeout(statusTimer);
      statusTimer = null;
      await fetcher?.stop();
      await sender?.stop();
    },
  };
}

function pick<T extends object, K extends keyof T>(o: T, keys: readonly K[]): Partial<Pick<T, K>> {
  const out: Partial<Pick<T, K>> = {};
  for (const k of keys) if (o[k] !== undefined) out[k] = o[k];
  return out;
}
