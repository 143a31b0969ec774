/**
 * What the probe tells the server about its plan (`POST /api/v1/probe/plan/status`): the
 * server plan it runs, the last one it rejected, and per path its canaries and their states,
 * or why the path is unconfigured here. Sent after every apply or rejection, and when the
 * counts change, at most once per heartbeat (the caller's pace). Not spooled: the status is
 * a current fact, and the next one replaces it, so a failed send is only logged.
 */
import type { Logger } from '../../lib/log';
import { MAX_STATUS_BYTES, MAX_STATUS_PATHS, PLAN_STATUS_PATH, type PlanStatusPath, type PlanStatusReport } from '../../lib/contracts/plan';
import type { ConfigProblem, PlannedCanary } from '../config';
import type { CanaryCounts } from '../runner';
import { unitKey } from './diff';
import type { PathOutcome } from './server-plan';

export interface StatusInput {
  appliedVersion: string | null;
  rejected?: { version: string; issues: ConfigProblem[] } | undefined;
  /** probe.yaml's canaries. */
  local: readonly PlannedCanary[];
  /** The server plan's paths as resolved on this probe. */
  outcomes: readonly PathOutcome[];
  /** runner.countsByUnit(). */
  counts: ReadonlyMap<string, CanaryCounts>;
}

/** The report: server paths and experiments first (what the Fleet page asks about), then local ones; at most MAX_STATUS_PATHS. */
export function buildPlanStatus(input: StatusInput): PlanStatusReport {
  const sum = (units: Iterable<string>) => {
    const c = { open: 0, connecting: 0, backoff: 0 };
    for (const u of units) {
      const n = input.counts.get(u);
      if (n) (c.open += n.open), (c.connecting += n.connecting), (c.backoff += n.backoff);
    }
    return c;
  };
  const paths: PlanStatusPath[] = input.outcomes.map((o) => ({
    source: o.source,
    id: o.id,
    target: o.target,
    proxy: o.proxy,
    profile: o.profile,
    canaries: o.canaries,
    ...sum(o.units),
    state: o.state,
    // Within the server's bounds (a reason quoting a long variable name or URL must not get
    // the whole report refused, and so never shown).
    ...(o.reason !== undefined && { reason: o.reason.slice(0, 512) }),
    ...(o.field !== undefined && { field: o.field.slice(0, 256) }),
  }));
  // Local canaries per target × proxy × profile (a ladder's rungs together).
  const local = new Map<string, { target: string; proxy: string; profile: string; canaries: number; units: Set<string> }>();
  for (const c of input.local) {
    const key = `${c.target.name}|${c.proxy.name}|${c.profile.name}`;
    let entry = local.get(key);
    if (!entry) local.set(key, (entry = { target: c.target.name, proxy: c.proxy.name, profile: c.profile.name, canaries: 0, units: new Set() }));
    entry.canaries += 1;
    entry.units.add(unitKey(c));
  }
  for (const e of local.values()) paths.push({ source: 'local', target: e.target, proxy: e.proxy, profile: e.profile, canaries: e.canaries, ...sum(e.units), state: 'running' });
  const report: PlanStatusReport = {
    appliedVersion: input.appliedVersion,
    ...(input.rejected && {
      rejected: { version: input.rejected.version.slice(0, 64), issues: input.rejected.issues.slice(0, 50).map((i) => ({ path: i.path.slice(0, 256), message: i.message.slice(0, 512) })) },
    }),
    paths: [],
    truncated: false,
  };
  // At most MAX_STATUS_PATHS, and within the server's body limit: a report it refused with
  // 413 would leave the probes page stale for good.
  let bytes = Buffer.byteLength(JSON.stringify(report));
  for (const path of paths) {
    const size = Buffer.byteLength(JSON.stringify(path)) + 1;
    if (report.paths.length === MAX_STATUS_PATHS || bytes + size > STATUS_BUDGET_BYTES) {
      report.truncated = true;
      break;
    }
    report.paths.push(path);
    bytes += size;
  }
  return report;
}

/** The report's size at most: the server's limit, less room for JSON's own slack. */
const STATUS_BUDGET_BYTES = MAX_STATUS_BYTES - 1024;

export interface StatusSender {
  /** Send `report` (the latest wins over one still waiting); resolves once it was sent or failed. */
  send(report: PlanStatusReport): Promise<void>;
  /** Wait for the send in flight; no more sends. */
  stop(): Promise<void>;
}

export function createStatusSender(options: { backendUrl: string; token: string; log: Logger; fetch?: typeof globalThis.fetch; requestTimeoutMs?: number }): StatusSender {
  const url = new URL(new URL(options.backendUrl).pathname.replace(/\/+$/, '') + PLAN_STATUS_PATH, options.backendUrl);
  const doFetch = options.fetch ?? globalThis.fetch;
  const timeoutMs = options.requestTimeoutMs ?? 10_000;
  const { log } = options;
  let stopped = false;
  let sending: Promise<void> | null = null;
  let waiting: PlanStatusReport | null = null;
  let failing = false;

  const post = async (report: PlanStatusReport) => {
    try {
      const res = await doFetch(url.href, {
        method: 'POST',
        headers: { authorization: `Bearer ${options.token}`, 'content-type': 'application/json' },
        body: JSON.stringify(report),
        signal: AbortSignal.timeout(timeoutMs),
      });
      const text = await res.text();
      if (res.status >= 200 && res.status < 300) {
        if (failing) log.info('plan status reported again');
        failing = false;
        return;
      }
      if (!failing) log.warn({ status: res.status, answer: text.slice(0, 300) }, 'backend did not take the plan status: the next one replaces it');
    } catch (err) {
      if (!failing) log.warn({ reason: (err as Error).message }, 'could not report the plan status: the next one replaces it');
    }
    failing = true;
  };

  const drain = async () => {
    while (waiting && !stopped) {
      const next = waiting;
      waiting = null;
      await post(next);
    }
    sending = null;
  };

  return {
    send(report) {
      if (stopped) return Promise.resolve();
      waiting = report;
      return (sending ??= drain());
    },
    async stop() {
      stopped = true;
      waiting = null;
      await sending;
    },
  };
}
