/**
 * What the issue-18 lab files share: experiment canaries (bisect, keepalive, held
 * heartbeats, echo with growth) built as the probe plans them, a real runner holding them
 * on the real clock, and their events reshaped into the ExperimentSessions the diagnosis
 * reads, as db/queries/experiment-sessions.ts reads stored rows.
 */
import type { PlannedCanary, ProfileConfig } from '../../agent/config';
import { startRunner, type Runner } from '../../agent/runner';
import type { AttemptFailed, IngestEvent, SessionEnded, SessionOpened } from '../../lib/contracts/ingest';
import type { ExperimentSession } from '../../lib/diagnosis/types';
import { canary, type CanaryNames, type Run } from './lab';

/**
 * The `count` canaries of one unit (target × proxy × profile label), keyed as the probe keys
 * them (`target|proxy|label|n`): the runner groups them by that unit, and a bisect unit runs
 * one rung per canary in each round.
 */
export function unitCanaries(url: string, proxy: string, profile: ProfileConfig, names: CanaryNames, count = 1, extra: Partial<PlannedCanary> = {}): PlannedCanary[] {
  return Array.from({ length: count }, (_, n) => {
    const c = { ...canary(url, proxy, profile, names), ...extra };
    return { ...c, key: `${c.target.name}|${c.proxy.name}|${c.profileLabel}|${n}` };
  });
}

/**
 * The experiment sessions among `events`, as the diagnosis reads them, one per session id in
 * the order they were dialled. Like db/queries/experiment-sessions.ts: bisect, keepalive and
 * ladder rungs, held heartbeats and echo sessions with statistics; the passive canaries'
 * are not. An attempt that failed has its `endedAt` (when it failed) and no end kind, as its
 * stored row; one still open at `now` (epoch ms) is open (endedAt null) with its age so far.
 */
export function experimentSessionsOf(events: readonly IngestEvent[], probe = 'lab', now = Date.now()): ExperimentSession[] {
  const byId = new Map<string, { opened?: SessionOpened; ended?: SessionEnded; failed?: AttemptFailed }>();
  for (const e of events) {
    if (e.type !== 'session.opened' && e.type !== 'session.ended' && e.type !== 'attempt.failed') continue;
    const cur = byId.get(e.sessionId) ?? {};
    if (e.type === 'session.opened') cur.opened = e;
    else if (e.type === 'session.ended') cur.ended = e;
    else cur.failed = e;
    byId.set(e.sessionId, cur);
  }
  const out: ExperimentSession[] = [];
  for (const { opened, ended, failed } of byId.values()) {
    const first = opened ?? ended ?? failed;
    if (!first) continue;
    const p = first.path;
    const endedAt = ended ? Date.parse(ended.endedAt) : failed ? Date.parse(failed.failedAt) : null;
    out.push({
      probe,
      labels: {},
      target: p.target.name,
      proxy: p.proxy.name,
      profile: p.profile,
      profileKind: p.profileKind ?? null,
      gapMs: p.gapMs ?? null,
      keepaliveMs: p.keepaliveMs ?? null,
      intervalMs: p.intervalMs ?? null,
      holdMs: p.holdMs ?? null,
      attemptedAt: Date.parse(first.attemptedAt),
      endedAt,
      durationMs: ended ? ended.durationMs : failed ? null : opened ? now - Date.parse(opened.openedAt) : null,
      endKind: ended?.endKind ?? null,
      closeCode: ended?.closeCode ?? null,
      closeReason: ended?.closeReason ?? null,
      echo: ended?.echo ?? null,
    });
  }
  const experimental = (x: ExperimentSession) => x.profileKind === 'bisect' || x.profileKind === 'keepalive' || x.profileKind === 'ladder' || x.holdMs !== null || x.echo !== null;
  return out.filter(experimental).sort((a, b) => a.attemptedAt - b.attemptedAt);
}

/** The experiment sessions of whole runs (attempt()), each probe's own. */
export function experimentSessionsOfRuns(runs: readonly Run[], probe = 'lab'): ExperimentSession[] {
  return experimentSessionsOf(runs.flatMap((r) => r.events), probe);
}

export interface LabRunner {
  runner: Runner;
  /** Every event the runner emitted so far, in order. */
  events: IngestEvent[];
  /** Bugs the runner reported (a canary that threw); a lab run expects none. */
  errors: unknown[];
  /** Stop the runner (open sessions end as probe_closed). Idempotent. */
  stop(): Promise<void>;
}

/**
 * A real runner on the real clock, holding `canaries`: reconnects after 200 ms to 1 s (full
 * jitter), so a lab unit's next attempt comes soon after its last ended.
 */
export function startLabRunner(canaries: readonly PlannedCanary[]): LabRunner {
  const events: IngestEvent[] = [];
  const errors: unknown[] = [];
  const runner = startRunner(canaries, {
    emit: (e) => events.push(e),
    clock: () => performance.now(),
    wall: () => new Date(),
    dialTimeoutMs: 5000,
    backoff: { baseMs: 200, capMs: 1000 },
    onError: (err) => errors.push(err),
  });
  let stopping: Promise<void> | null = null;
  return { runner, events, errors, stop: () => (stopping ??= runner.stop()) };
}

/** Poll `ready` every `stepMs` until it returns a value (not undefined) or `ms` pass; undefined then. */
export async function waitFor<T>(ready: () => T | undefined, ms: number, stepMs = 100): Promise<T | undefined> {
  const deadline = Date.now() + ms;
  for (;;) {
    const v = ready();
    if (v !== undefined || Date.now() > deadline) return v;
    await new Promise((r) => setTimeout(r, stepMs));
  }
}

/** "6.9 s" (lib/analysis/stats.ts formatSeconds, under 120 s) back to ms. */
export function secondsText(text: string): number {
  const m = /^(\d+(?:\.\d+)?) s$/.exec(text);
  if (!m) throw new Error(`secondsText: not "<n> s": ${text}`);
  return Number(m[1]) * 1000;
}
