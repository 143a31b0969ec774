/**
 * The recent sessions and RTT minutes the server keeps in memory (lib/recent/sessions.ts
 * says why), and which scopes they can answer.
 */
import type { Drop } from '../analysis/types';
import { MemberCache } from './member-cache';
import { RecentRtt } from './rtt';
import { RecentSessions } from './sessions';

/**
 * How far before a scope's start its reports look: the RTT finding reads the 5 minutes
 * before it, the egress finding openings 5 s before it.
 */
const LOOK_BACK_MS = 5 * 60_000;

export class RecentStore {
  readonly sessions: RecentSessions;
  readonly rtt: RecentRtt;
  /** Signature members' rows by session id, without their probe's name and labels (read fresh). */
  readonly members = new MemberCache<{ probeId: number; drop: Omit<Drop, 'probe' | 'labels'> }>();

  /** Holds the endings and RTT minutes of the last `retainMs` before `now`, and every live canary. */
  constructor(
    readonly retainMs: number,
    now: number,
  ) {
    this.sessions = new RecentSessions(now - retainMs);
    this.rtt = new RecentRtt(now - retainMs);
  }

  /** The earliest instant whose endings and RTT minutes are all held. */
  get horizon(): number {
    return Math.max(this.sessions.horizon, this.rtt.horizon);
  }

  /** Whether a scope starting at `from` can be answered from memory. */
  covers(from: Date): boolean {
    return from.getTime() - LOOK_BACK_MS >= this.horizon;
  }

  /** Let go of what fell out of the retention window (whole hours). */
  forgetOld(now: number): void {
    this.sessions.forgetBefore(now - this.retainMs);
    this.rtt.forgetBefore(now - this.retainMs);
  }
}
