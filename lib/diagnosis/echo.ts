/**
 * What echo canaries say of the layers between (issue 18): one that buffers (messages held
 * and released together: echoes come back in bunches although they were sent an interval
 * apart; agent/profiles.ts counts them), and one that loses, cuts on or refuses large frames
 * (an echo profile with `growTo` doubles its message size: message k has
 * min(growTo, messageBytes · 2^k) bytes, so the first size that failed is the one after the
 * largest that came back).
 */
import type { Finding } from '../analysis/findings';
import { formatSeconds } from '../analysis/stats';
import { outcomeOf } from './brackets';
import { formatBytes, groupBy, pathKey, pathText } from './describe';
import type { EchoView, ExperimentSession } from './types';

/** 1009 (Message Too Big): the frame was refused by name. */
const MESSAGE_TOO_BIG = 1009;

/**
 * Evidence thresholds. Buffering: at least BUFFER_BUNCHES bunches on the path holding at
 * least BUFFER_SHARE of the echoes that came back: one bunch may be the probe's own event
 * loop stalling (a GC pause releases every echo it held at once), a buffering layer bunches
 * most of them, every time. A size that failed: a 1009 names itself (one session is enough);
 * a cut or a loss after a large message must repeat in FRAME_SESSIONS sessions, and at a size
 * larger than any echo that came back on the path (a smaller one failing once is some other drop).
 */
const BUFFER_BUNCHES = 2;
const BUFFER_SHARE = 0.25;
const FRAME_SESSIONS = 2;
/** Messages that must be missing before a live session's loss counts (one may be in flight when the probe closes). */
const LOST_MESSAGES = 2;

type FrameKind = Exclude<EchoView['kind'], 'buffering'>;

/** How a session's large message failed, and at which size; null when it did not fail at a size. */
export function frameFailure(s: ExperimentSession): { kind: FrameKind; atBytes: number } | null {
  const e = s.echo;
  if (s.profileKind !== 'echo' || e === null || s.endedAt === null || e.largestSentBytes <= e.largestReturnedBytes) return null;
  // The smallest size sent that never came back: the one after the largest that did.
  const next = e.largestReturnedBytes > 0 ? Math.min(e.largestSentBytes, 2 * e.largestReturnedBytes) : e.largestSentBytes;
  if (s.closeCode === MESSAGE_TOO_BIG) return { kind: 'frame-refused', atBytes: e.lastSentBytes > e.largestReturnedBytes ? e.lastSentBytes : next };
  if (e.largestReturnedBytes === 0) return null;
  if (s.endKind === 'pong_timeout' || (s.endKind === 'probe_closed' && e.sent - e.returned >= LOST_MESSAGES)) return { kind: 'frame-lost', atBytes: next };
  if (s.endKind !== 'probe_closed' && outcomeOf(s) === 'died' && e.lastSentBytes > e.largestReturnedBytes) return { kind: 'frame-cut', atBytes: e.lastSentBytes };
  return null;
}

/** Per path: a buffering view and one per way large frames failed, where the evidence suffices. */
export function echoFindingsOf(sessions: readonly ExperimentSession[]): EchoView[] {
  const echo = sessions.filter((s) => s.profileKind === 'echo' && s.echo !== null && s.endedAt !== null);
  const out: EchoView[] = [];
  for (const group of groupBy(echo, pathKey).values()) {
    const { probe, target, proxy } = group[0]!;
    const returnedMax = Math.max(...group.map((s) => s.echo!.largestReturnedBytes));
    const bunched = group.filter((s) => s.echo!.bunches > 0);
    const bunches = bunched.reduce((n, s) => n + s.echo!.bunches, 0);
    const inBunches = bunched.reduce((n, s) => n + s.echo!.bunchedMessages, 0);
    const returned = group.reduce((n, s) => n + s.echo!.returned, 0);
    if (bunches >= BUFFER_BUNCHES && inBunches >= BUFFER_SHARE * returned) {
      out.push({ probe, target, proxy, kind: 'buffering', heldMs: Math.max(...bunched.map((s) => s.echo!.maxHoldMs)), bunches, sessions: bunched.length });
    }
    const failures = group.map(frameFailure).filter((f): f is NonNullable<typeof f> => f !== null);
    for (const kind of ['frame-refused', 'frame-cut', 'frame-lost'] as const) {
      const of = failures.filter((f) => f.kind === kind && (kind === 'frame-refused' || f.atBytes > returnedMax));
      if (of.length < (kind === 'frame-refused' ? 1 : FRAME_SESSIONS)) continue;
      out.push({ probe, target, proxy, kind, failedAtBytes: Math.min(...of.map((f) => f.atBytes)), largestReturnedBytes: returnedMax, sessions: of.length });
    }
  }
  return out.sort((a, b) => pathText(a).localeCompare(pathText(b)) || a.kind.localeCompare(b.kind));
}

/** The echo views as findings, each with the size or delay where it starts. */
export function echoFindings(views: readonly EchoView[]): Finding[] {
  return views.map((v) => {
    const path = pathText(v);
    const passed = v.largestReturnedBytes ? ` (${formatBytes(v.largestReturnedBytes)} came back)` : '';
    const sessions = `${v.sessions} session${v.sessions === 1 ? '' : 's'}`;
    const size = formatBytes(v.failedAtBytes ?? 0);
    switch (v.kind) {
      case 'buffering':
        return {
          kind: 'echo' as const,
          cause: 'buffering',
          severity: 'warning' as const,
          title: `${path} holds messages back up to ${formatSeconds((v.heldMs ?? 0) / 1000)}: a layer buffers (${v.bunches} bunches)`,
          detail: `Echoes sent an interval apart came back together, ${v.bunches} times in ${sessions}: a layer between holds messages and releases them at once, up to ${formatSeconds((v.heldMs ?? 0) / 1000)} late. Real-time messages arrive in bursts through it.`,
          recommendation: 'Turn off response buffering for WebSocket traffic on the layer in between (nginx: proxy_buffering off), or find the proxy that coalesces writes.',
        };
      case 'frame-refused':
        return {
          kind: 'echo' as const,
          cause: 'frame-refused',
          severity: 'warning' as const,
          title: `${path} refuses messages of ${size} with 1009 (Message Too Big)${v.largestReturnedBytes ? `; ${formatBytes(v.largestReturnedBytes)} came back` : ''}`,
          detail: `${sessions} closed with 1009 right after sending a ${size} message: a layer, or the endpoint itself, has a maximum message size below it.`,
          recommendation: `Raise the maximum message size of the layer (or endpoint) that answers 1009, or keep messages under ${size}.`,
        };
      case 'frame-cut':
        return {
          kind: 'echo' as const,
          cause: 'frame-cut',
          severity: 'warning' as const,
          title: `${path} is cut right after a ${size} message${passed}`,
          detail: `${sessions} ended (a layer's FIN, reset or close) after sending a ${size} message, larger than any that came back: a layer in between cuts the connection on a frame of that size.`,
          recommendation: `Raise the frame or buffer size limit of the layer in between, or keep messages under ${size}.`,
        };
      case 'frame-lost':
        return {
          kind: 'echo' as const,
          cause: 'frame-lost',
          severity: 'warning' as const,
          title: `${path} loses messages of ${size}${passed}`,
          detail: `In ${sessions}, no message of ${size} or more came back, and the connection went silent or kept on without them: a layer drops large frames (a buffer size limit), or large packets are black-holed (an MTU the path does not signal).`,
          recommendation: `Look for a frame or buffer limit near ${size} on the layer in between, or a path MTU black hole (clamp the MSS); meanwhile keep messages under ${size}.`,
        };
    }
  });
}
