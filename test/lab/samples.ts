/**
 * From a lab run's events to what the analysis reads: the same reshaping as
 * db/queries/analysis.ts does for stored sessions (AGE and IDLE there), done in memory.
 */
import type { SessionSample } from '../../lib/analysis/analyze';
import type { Run, TargetView } from './lab';

/**
 * One opened-and-ended session as a {@link SessionSample}: a drop unless the probe ended
 * it. A silent death (pong_timeout) is aged by its last byte received and has no idle time;
 * otherwise the idle time is the silence both ways before the end. Null for a run that
 * never opened or never ended.
 */
export function toSample(run: Run, view: TargetView | undefined, probe = 'lab'): SessionSample | null {
  const { opened, ended } = run;
  if (!opened || !ended) return null;
  const silent = ended.endKind === 'pong_timeout';
  const recv = ended.sinceLastRecvMs ?? 0;
  const sent = ended.sinceLastSentMs ?? 0;
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
    ageMs: silent ? ended.durationMs - recv : ended.durationMs,
    idleMs: silent ? null : Math.min(recv, sent),
    endKind: ended.endKind,
    closeCode: ended.closeCode ?? null,
    endedAt: Date.parse(ended.endedAt),
    headers: opened.responseHeaders ?? {},
    egress: opened.egressAddress ?? null,
    targetView: view ? { closeFrameReceived: view.closeFrameReceived, endKind: view.endKind, endedAt: Date.parse(view.endedAt) } : null,
    dropped: ended.endKind !== 'probe_closed',
  };
}
