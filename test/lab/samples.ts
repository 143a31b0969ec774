/**
 * From a lab run's events to what the analysis reads: the same reshaping as
 * db/queries/analysis.ts does for stored sessions (AGE and IDLE there), done in memory.
 */
import { setMaxListeners } from 'node:events';
import type { PlannedCanary } from '../../agent/config';
import type { SessionSample } from '../../lib/analysis/analyze';
import { dropAge, dropIdle } from '../../lib/analysis/drop-values';
import type { RefusalGroup } from '../../lib/analysis/findings';
import { attempt, targetView, type LabTarget, type Run, type TargetView } from './lab';
import { openJustAfterWallSecond } from './proxies';

/**
 * One opened-and-ended session as a {@link SessionSample}: a drop unless the probe ended
 * it, its age and idle time as stored sessions' (a silent death is aged by its last byte
 * received, unknown when none came after the 101, and has no idle time). Null for a run that
 * never opened or never ended.
 */
export function toSample(run: Run, view: TargetView | undefined, probe = 'lab'): SessionSample | null {
  const { opened, ended } = run;
  if (!opened || !ended) return null;
  // As stored sessions are read (lib/analysis/drop-values.ts).
  const facts = { endKind: ended.endKind, durationMs: ended.durationMs, sinceLastRecvMs: ended.sinceLastRecvMs ?? null, sinceLastSentMs: ended.sinceLastSentMs ?? null };
  return {
    id: ended.sessionId,
    probe,
    labels: {},
    target: ended.path.target.name,
    proxy: ended.path.proxy.name,
    proxyKind: ended.path.proxy.kind,
    profile: ended.path.profile,
    profileKind: ended.path.profileKind ?? null,
    gapMs: ended.path.gapMs ?? null,
    ageMs: dropAge(facts),
    idleMs: dropIdle(facts),
    endKind: ended.endKind,
    closeCode: ended.closeCode ?? null,
    endedAt: Date.parse(ended.endedAt),
    headers: opened.responseHeaders ?? {},
    ...(opened.proxyHeaders && { proxyHeaders: opened.proxyHeaders }),
    egress: opened.egressAddress ?? null,
    targetView: view ? { closeFrameReceived: view.closeFrameReceived, endKind: view.endKind, endedAt: Date.parse(view.endedAt) } : null,
    dropped: ended.endKind !== 'probe_closed',
  };
}

/**
 * Canaries started together and stopped together `holdMs` later (those a layer has not cut
 * by then end as probe_closed). `alignToWallSecond`: open just after a whole wall-clock
 * second, for squid's one-second clock (proxies.ts).
 */
export async function runTogether(plans: readonly PlannedCanary[], holdMs: number, options: { alignToWallSecond?: boolean } = {}): Promise<Run[]> {
  if (options.alignToWallSecond) await openJustAfterWallSecond();
  const stop = AbortSignal.timeout(holdMs);
  // Every attempt listens on the one signal.
  setMaxListeners(4 * plans.length + 10, stop);
  return Promise.all(plans.map((p) => attempt(p, stop)));
}

/**
 * The SessionSamples of runs that all opened and ended, each with the target's own view
 * when `target` is the lab target they reached (a bare origin has none). Throws, naming
 * the path, for a run that failed or never ended: a scenario's samples are all or nothing.
 */
export async function samplesOf(runs: readonly Run[], target?: LabTarget, probe = 'lab'): Promise<SessionSample[]> {
  return Promise.all(
    runs.map(async (r) => {
      const view = target && r.ended ? await targetView(target, r.ended.sessionId) : undefined;
      const sample = toSample(r, view, probe);
      if (!sample) {
        const path = (r.failed ?? r.opened)?.path;
        throw new Error(`samplesOf: a run ${path ? `to ${path.target.name} via ${path.proxy.name}` : ''} did not open and end (${r.failed ? `${r.failed.outcome} ${r.failed.errorCode ?? ''}` : 'no events'})`);
      }
      return sample;
    }),
  );
}

/** A {@link RefusalGroup} as the server builds it, with the refusal's own words when the probe kept them. */

/**
 * The refusal groups db/queries/findings.ts `refusalGroups` builds from stored rows, built
 * from the runs' events in memory: failed attempts grouped by target, proxy, outcome,
 * reason (HTTP status, else proxy reply, else error code) and Server header; `attempts`
 * counts every attempt on the same target × proxy, opened or not; `directCount` the same
 * reason on the direct path to the same target. Headers, error code, error message and
 * body excerpt come from the group's latest attempt.
 */
export function refusalGroupsOf(runs: readonly Run[]): RefusalGroup[] {
  const attempts = new Map<string, number>();
  for (const r of runs) {
    const path = (r.failed ?? r.opened)?.path;
    if (!path) continue;
    const k = `${path.target.name}|${path.proxy.name}`;
    attempts.set(k, (attempts.get(k) ?? 0) + 1);
  }
  const groups = new Map<string, { group: RefusalGroup; latest: number }>();
  for (const r of runs) {
    const f = r.failed;
    if (!f) continue;
    const reason = String(f.httpStatus ?? f.proxyReply ?? f.errorCode ?? 'unknown');
    const server = f.responseHeaders?.server ?? null;
    const k = JSON.stringify([f.path.target.name, f.path.proxy.name, f.outcome, reason, server]);
    const at = Date.parse(f.failedAt);
    const cur = groups.get(k);
    const latest = !cur || at >= cur.latest;
    const group: RefusalGroup = {
      target: f.path.target.name,
      proxy: f.path.proxy.name,
      outcome: f.outcome,
      reason,
      server,
      count: (cur?.group.count ?? 0) + 1,
      attempts: attempts.get(`${f.path.target.name}|${f.path.proxy.name}`) ?? 1,
      directCount: 0,
      headers: latest ? (f.responseHeaders ?? {}) : cur!.group.headers,
      errorCode: latest ? (f.errorCode ?? null) : cur!.group.errorCode,
      errorMessage: latest ? (f.errorMessage ?? null) : cur!.group.errorMessage,
      bodyExcerpt: latest ? (f.bodyExcerpt ?? null) : cur!.group.bodyExcerpt,
    };
    groups.set(k, { group, latest: latest ? at : cur!.latest });
  }
  const all = [...groups.values()].map((g) => g.group);
  return all.map((g) => ({ ...g, directCount: all.filter((d) => d.proxy === 'direct' && d.target === g.target && d.reason === g.reason).reduce((n, d) => n + d.count, 0) }));
}
