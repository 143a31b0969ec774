/**
 * Building blocks of experiment sessions (issue 18) as the agent records them
 * (agent/profiles.ts, agent/runner): adaptive-ladder rungs chosen by the probe's own
 * replay + nextGaps (lib/diagnosis/bisect.ts), keepalive rungs, heartbeats held for a set
 * time, and echo canaries with their statistics. Each is written from the physics of the
 * layer on the path (a cut after N of silence, or at an age, or at a frame size), never from
 * what the diagnosis concludes; `sampleOf` turns one into the session the drop analysis reads
 * (in the database it is one row, read by both).
 */
import type { SessionSample } from '../../lib/analysis/analyze';
import type { EchoStats, EndKind, ProfileKind, ProxyKind } from '../../lib/contracts/ingest';
import { nextGaps, replay, type Rung } from '../../lib/diagnosis/bisect';
import type { ExperimentPath, ExperimentSession } from '../../lib/diagnosis/types';
import type { Rng } from './rng';

export interface XPath extends ExperimentPath {
  labels?: Record<string, string>;
  proxyKind?: ProxyKind;
  rttMs?: number;
}

interface Settings {
  profile: string;
  profileKind: ProfileKind;
  gapMs?: number;
  keepaliveMs?: number;
  intervalMs?: number;
  holdMs?: number;
}

type End = { endKind: EndKind; closeCode?: number; closeReason?: string };

/** One experiment session; `end: null` is one still open at `now` (its duration is its age then). */
export function experiment(p: XPath, set: Settings, attemptedAt: number, durationMs: number, end: End | null, echo: EchoStats | null = null): ExperimentSession {
  return {
    probe: p.probe,
    labels: p.labels ?? {},
    target: p.target,
    proxy: p.proxy,
    profile: set.profile,
    profileKind: set.profileKind,
    gapMs: set.gapMs ?? null,
    keepaliveMs: set.keepaliveMs ?? null,
    intervalMs: set.intervalMs ?? null,
    holdMs: set.holdMs ?? null,
    attemptedAt,
    endedAt: end === null ? null : attemptedAt + 150 + durationMs,
    durationMs,
    endKind: end?.endKind ?? null,
    closeCode: end === null ? null : (end.closeCode ?? (end.endKind === 'probe_closed' ? 1000 : 1006)),
    closeReason: end?.closeReason ?? null,
    echo,
  };
}

const FIN: End = { endKind: 'tcp_fin' };
const secs = (ms: number) => `${Math.round(ms / 10) / 100}s`;

/**
 * A bisect unit as the probe runs it: rounds of up to `parallel` rungs whose gaps come from
 * replay + nextGaps, a pause of 1-2 s between rounds. A rung survives when the path lets
 * `gap` of silence through at the time it runs (`cutAt(t)`: the path's idle timeout then,
 * null for none), and dies at the cut otherwise (a FIN, by default).
 */
export function bisectRungs(p: XPath, cutAt: (t: number) => number | null, o: { startAt: number; rounds: number; r: Rng; fromMs?: number; maxMs?: number; parallel?: number; profile?: string; end?: End }): ExperimentSession[] {
  const out: ExperimentSession[] = [];
  const rungs: Rung[] = [];
  const limits = { fromMs: o.fromMs ?? 15_000, maxMs: o.maxMs ?? 1_800_000 };
  const rtt = p.rttMs ?? 40;
  let t = o.startAt;
  for (let round = 0; round < o.rounds; round++) {
    const gaps = nextGaps(replay(rungs), limits, o.parallel ?? 4, round);
    let longest = 0;
    for (const gapMs of gaps) {
      const n = cutAt(t);
      const set = { profile: o.profile ?? 'bisect', profileKind: 'bisect' as const, gapMs };
      if (n === null || gapMs < n) {
        const d = gapMs + rtt + o.r() * 3;
        out.push(experiment(p, set, t, d, { endKind: 'probe_closed', closeReason: `bisect: survived ${secs(gapMs)} idle` }));
        rungs.push({ gapMs, outcome: 'survived' });
        longest = Math.max(longest, d);
      } else {
        const d = n + o.r() * 5;
        out.push(experiment(p, set, t, d, o.end ?? FIN));
        rungs.push({ gapMs, outcome: 'died' });
        longest = Math.max(longest, d);
      }
    }
    t += 150 + longest + 1000 + o.r() * 1000;
  }
  return out;
}

/**
 * Keepalive rungs silent for `gapMs` (past the idle cut `cutMs`) with TCP keepalive every
 * `keepaliveMs`. `layer` says what cuts: an L4 layer (a NAT, a stateful firewall) sees the
 * keepalive segments and keeps the flow, an L7 proxy terminates TCP and cuts at its N.
 */
export function keepaliveRungs(p: XPath, count: number, o: { startAt: number; gapMs: number; keepaliveMs: number; cutMs: number; layer: 'l4' | 'l7'; r: Rng; end?: End }): ExperimentSession[] {
  const set = { profile: `keepalive-${Math.round(o.keepaliveMs / 1000)}s`, profileKind: 'keepalive' as const, gapMs: o.gapMs, keepaliveMs: o.keepaliveMs };
  return Array.from({ length: count }, (_, i) => {
    const at = o.startAt + i * (o.gapMs + 5000);
    return o.layer === 'l4'
      ? experiment(p, set, at, o.gapMs + (p.rttMs ?? 40), { endKind: 'probe_closed', closeReason: `keepalive: survived ${secs(o.gapMs)} idle with TCP keepalive every ${secs(o.keepaliveMs)}` })
      : experiment(p, set, at, o.cutMs + o.r() * 5, o.end ?? FIN);
  });
}

/**
 * Heartbeat canaries held for `holdMs` (a verification of a fix, or a reconnect schedule):
 * each reaches its hold and the probe closes it, unless the path cuts it first at `diesAtMs`
 * of age (a lifetime limit the heartbeat cannot help); `open` more are still running.
 */
export function heldHeartbeats(p: XPath, count: number, o: { startAt: number; intervalMs: number; holdMs: number; diesAtMs?: number; end?: End; open?: number; profile?: string; r: Rng }): ExperimentSession[] {
  const set = { profile: o.profile ?? `verify-hb-${Math.round(o.intervalMs / 1000)}s`, profileKind: 'heartbeat' as const, intervalMs: o.intervalMs, holdMs: o.holdMs };
  const out: ExperimentSession[] = [];
  let t = o.startAt;
  for (let i = 0; i < count; i++) {
    if (o.diesAtMs !== undefined && o.diesAtMs < o.holdMs) {
      const d = o.diesAtMs + o.r() * 5;
      out.push(experiment(p, set, t, d, o.end ?? FIN));
      t += d + 2000;
    } else {
      const d = o.holdMs + o.r() * 20;
      out.push(experiment(p, set, t, d, { endKind: 'probe_closed', closeReason: `hold: held ${secs(o.holdMs)} with a ${secs(o.intervalMs)} heartbeat` }));
      t += d + 500;
    }
  }
  for (let i = 0; i < (o.open ?? 0); i++) out.push(experiment(p, set, t + i, o.holdMs / 2, null));
  return out;
}

/**
 * Echo canaries that grow their message from `messageBytes`, doubling up to `growTo`, one
 * message every `intervalMs`, `messages` per session. A layer with a frame limit `limitBytes`
 * fails the first message over it: `refused` (1009), `cut` (a FIN), or `lost` (nothing comes
 * back; the connection stalls until the pong deadline). A buffering layer (`holdMs`) releases
 * every `bunch` messages together.
 */
export function echoSessions(
  p: XPath,
  count: number,
  o: { startAt: number; intervalMs: number; messageBytes: number; growTo?: number; messages?: number; limitBytes?: number; failure?: 'refused' | 'cut' | 'lost'; holdMs?: number; bunch?: number; r: Rng },
): ExperimentSession[] {
  const set = { profile: o.growTo ? `echo-grow-${o.growTo}` : 'echo', profileKind: 'echo' as const, intervalMs: o.intervalMs };
  const sizes = Array.from({ length: o.messages ?? 12 }, (_, k) => Math.min(o.growTo ?? o.messageBytes, o.messageBytes * 2 ** k));
  const rtt = p.rttMs ?? 40;
  const out: ExperimentSession[] = [];
  let t = o.startAt;
  for (let i = 0; i < count; i++) {
    const k = o.limitBytes === undefined ? -1 : sizes.findIndex((b) => b > o.limitBytes!);
    const base = { bunches: 0, bunchedMessages: 0, maxHoldMs: 0, minRttMs: rtt };
    let session: ExperimentSession;
    if (k >= 0 && o.failure) {
      const returned = sizes.slice(0, k);
      const lost = o.failure === 'lost' ? Math.min(3, sizes.length - k) : 1;
      const sent = sizes.slice(0, k + lost);
      const echo: EchoStats = { ...base, sent: sent.length, returned: returned.length, largestSentBytes: Math.max(...sent), largestReturnedBytes: Math.max(0, ...returned), lastSentBytes: sent.at(-1)! };
      const end: End = o.failure === 'refused' ? { endKind: 'close_frame', closeCode: 1009 } : o.failure === 'cut' ? FIN : { endKind: 'pong_timeout' };
      // Cut or refused right after the message; a loss is noticed by the pong deadline (10 s) after the last byte.
      const d = o.failure === 'lost' ? (k - 1) * o.intervalMs + rtt : k * o.intervalMs + rtt / 2 + o.r() * 3;
      session = experiment(p, set, t, d, end, echo);
    } else {
      const n = sizes.length;
      const bunch = o.holdMs ? (o.bunch ?? 3) : 0;
      const bunches = bunch ? Math.floor(n / bunch) : 0;
      const echo: EchoStats = { ...base, sent: n, returned: n, largestSentBytes: Math.max(...sizes), largestReturnedBytes: Math.max(...sizes), lastSentBytes: sizes.at(-1)!, bunches, bunchedMessages: bunches * bunch, maxHoldMs: bunches ? o.holdMs! + o.r() * 30 : 0 };
      session = experiment(p, set, t, n * o.intervalMs + rtt, { endKind: 'probe_closed', closeReason: 'echo: done' }, echo);
    }
    out.push(session);
    t += (session.durationMs ?? 0) + 1500;
  }
  return out;
}

/**
 * The session the drop analysis reads for an experiment session (one database row): a
 * drop unless the probe ended it; a silent rung's idle time is its age, a talker's the
 * time since it last talked. Open sessions are no sample (the analysis reads ended ones).
 */
export function sampleOf(x: ExperimentSession, o: { proxyKind?: ProxyKind; headers?: Record<string, string>; idleMs?: number | null } = {}): SessionSample | null {
  if (x.endedAt === null || x.endKind === null) return null;
  const age = x.durationMs;
  const silent = x.profileKind === 'bisect' || x.profileKind === 'keepalive' || x.profileKind === 'ladder' || x.profileKind === 'idle';
  const talkEvery = x.intervalMs ?? 25_000;
  const idle = o.idleMs !== undefined ? o.idleMs : x.endKind === 'pong_timeout' ? null : silent ? age : age === null ? null : age % talkEvery;
  return {
    id: `${x.probe}|${x.target}|${x.proxy}|${x.profile}|${x.attemptedAt}`,
    probe: x.probe,
    labels: x.labels,
    target: x.target,
    proxy: x.proxy,
    proxyKind: o.proxyKind ?? (x.proxy === 'direct' ? 'direct' : 'http'),
    profile: x.profile,
    profileKind: x.profileKind,
    gapMs: x.gapMs,
    ageMs: age,
    idleMs: idle,
    endKind: x.endKind,
    closeCode: x.closeCode,
    endedAt: x.endedAt,
    headers: o.headers ?? {},
    egress: null,
    targetView: null,
    dropped: x.endKind !== 'probe_closed',
  };
}
