/**
 * Canary traffic profiles. Each starts on an open WebSocket and is stopped by the session.
 *   idle      sends nothing: the shortest idle timeout on the path cuts it.
 *   heartbeat ping every interval, pong deadline: silent deaths noticed within P+T.
 *   echo      an application message every interval, echoed by the target: end-to-end
 *             message RTT, buffering proxies, large frames lost.
 *   ladder    idle for one gap, then a single ping: does the path survive this much silence?
 *   bisect    a ladder rung whose gap the runner chose (agent/schedule/bisect-rounds.ts).
 *   keepalive a ladder rung with TCP keepalive on the socket: does TCP alone keep it alive?
 * A heartbeat with `hold` ends itself politely once open that long (a verification canary,
 * or a reconnect schedule): its end is on the same queue entry as its pings.
 *
 * A profile is a small record on the probe's one timer queue (agent/schedule/due-queue.ts):
 * its next ping and its oldest pong deadline are one entry, so a ping costs no timer, no
 * closure and no buffer of its own. Pings are due at open + k × interval, whatever the
 * lateness of the previous one: the schedule does not drift.
 */
import type WebSocket from 'ws';
import type { EchoStats } from '../lib/contracts/ingest';
import type { ProfileConfig } from './config';
import type { DueEntry, DueQueue } from './schedule/due-queue';

/** What a profile may do to its session (agent/canary-session.ts implements it). */
export interface ProfileSession {
  ws: WebSocket;
  /** The measuring clock (monotonic ms). */
  clock: () => number;
  gapMs?: number;
  /**
   * SO_KEEPALIVE on the TCP socket to the first hop, the first probe after `ms` of silence.
   * What Node 20.20 (libuv 1.46) sets, as strace shows: TCP_KEEPIDLE to the whole seconds
   * of `ms`, TCP_KEEPINTVL 1 s and TCP_KEEPCNT 10. An answered probe restarts the idle
   * count, so a live path sees one probe every `ms`; ten unanswered ones (10 s) end the
   * socket with ETIMEDOUT, which the session reports as an `error` ending: a death.
   */
  setKeepAlive(ms: number): void;
  addRtt(rttMs: number): void;
  countSent(): void;
  deadline(reason: string): void;
  finish(reason: string): void;
}

export interface Profile {
  /** A pong frame arrived (any payload). */
  onPong(data: Buffer): void;
  /** A message arrived. */
  onMessage(data: WebSocket.RawData, isBinary: boolean): void;
  /** What an echo profile saw of its messages, for `session.ended`. */
  echoStats?(): EchoStats;
  stop(): void;
}

/** Pings carry their sequence number in 8 bytes; ws copies the payload into the frame it masks. */
const PING_PAYLOAD = Buffer.alloc(8);
const TWO_32 = 2 ** 32;

export function startProfile(profile: ProfileConfig, s: ProfileSession, queue: DueQueue): Profile | null {
  switch (profile.kind) {
    case 'idle':
      return null;
    case 'heartbeat':
      return new Pings(s, queue, profile, profile.interval, profile.timeout, null, profile.hold ?? null);
    case 'echo':
      return new Echo(s, queue, profile.interval, profile.timeout, profile.messageBytes, profile.growTo ?? profile.messageBytes);
    case 'ladder':
      return new Pings(s, queue, profile, null, profile.timeout, s.gapMs ?? profile.gaps[0]!, null);
    case 'bisect':
      // The runner gives every rung its gap; a rung without one waits the first gap of the search.
      return new Pings(s, queue, profile, null, profile.timeout, s.gapMs ?? profile.from, null);
    case 'keepalive':
      s.setKeepAlive(profile.keepalive);
      return new Pings(s, queue, profile, null, profile.timeout, profile.gap, null);
  }
}

/**
 * Outstanding requests (pings, echoes) of one session: sequence number, when sent on the
 * measuring clock, and the deadline on the queue's clock, three numbers each in one ring.
 * Answers normally come back in order, so the oldest is found first. The ring is allocated
 * once and never shrinks: an array emptied by its length shrank and grew back every ping.
 */
class Outstanding {
  #items: number[] = [];
  #head = 0;
  #count = 0;

  add(seq: number, sentAt: number, deadline: number): void {
    const items = this.#items;
    if (this.#count * 3 === items.length) this.#grow();
    const at = ((this.#head + this.#count) * 3) % this.#items.length;
    this.#items[at] = seq;
    this.#items[at + 1] = sentAt;
    this.#items[at + 2] = deadline;
    this.#count += 1;
  }

  /** The sentAt of `seq` if outstanding (removing it and any older), else NaN. */
  take(seq: number): number {
    const items = this.#items;
    const slots = items.length / 3;
    for (let k = 0; k < this.#count; k++) {
      const at = ((this.#head + k) % slots) * 3;
      if (items[at] !== seq) continue;
      // Older ones were answered out of order or not at all: a later answer covers them.
      this.#head = (this.#head + k + 1) % slots;
      this.#count -= k + 1;
      return items[at + 1]!;
    }
    return NaN;
  }

  get nextDeadline(): number {
    return this.#count > 0 ? this.#items[this.#head * 3 + 2]! : Infinity;
  }

  /** The oldest outstanding sequence number (the one a deadline is about); NaN when none. */
  get oldestSeq(): number {
    return this.#count > 0 ? this.#items[this.#head * 3]! : NaN;
  }

  clear(): void {
    this.#head = 0;
    this.#count = 0;
  }

  /** Twice the room (two entries at first), oldest first. */
  #grow(): void {
    const slots = this.#items.length / 3;
    const grown = new Array<number>(Math.max(6, this.#items.length * 2)).fill(0);
    for (let k = 0; k < this.#count; k++) {
      const from = ((this.#head + k) % slots) * 3;
      grown[k * 3] = this.#items[from]!;
      grown[k * 3 + 1] = this.#items[from + 1]!;
      grown[k * 3 + 2] = this.#items[from + 2]!;
    }
    this.#items = grown;
    this.#head = 0;
  }
}

/**
 * What heartbeat, ladder and echo share: requests sent on a schedule (open + k × interval,
 * or once after a gap), matched to their answers by sequence number, each with a deadline,
 * and (a held heartbeat) an end. One entry on the queue: due at the next send, the oldest
 * deadline or the end, whichever is first.
 */
abstract class Requests implements Profile, DueEntry {
  dueAt = 0;
  tick = 0;
  slot = -1;
  #seq = 0;
  /** A number from the start, so V8 updates it in place (see agent/canary-session.ts). */
  #nextAt = 0;
  /**
   * When the session ends itself (a held heartbeat); Infinity for never. One more double on
   * every session (a boxed number, some 24 bytes), for no timer of its own.
   */
  #endAt = Infinity;
  readonly #pending = new Outstanding();

  constructor(
    protected readonly s: ProfileSession,
    private readonly queue: DueQueue,
    /** Between sends; null for a single send after `firstAfter`. */
    protected readonly interval: number | null,
    protected readonly timeout: number,
    firstAfter: number,
    /** End the session politely once open this long; null: never. */
    holdMs: number | null,
  ) {
    const now = queue.now();
    this.#nextAt = now + firstAfter;
    if (holdMs !== null) this.#endAt = now + holdMs;
    queue.schedule(this, Math.min(this.#nextAt, this.#endAt));
  }

  /** Send request `seq`; returns when it was sent on the measuring clock. */
  protected abstract send(seq: number): number;
  /** Why the session died when an answer did not come in time (the oldest outstanding is `seq`). */
  protected abstract lateAnswer(seq: number): string;
  /** The close reason once held to its end. */
  protected held(): string {
    return 'held';
  }

  fire(now: number): void {
    if (this.#pending.nextDeadline <= now) return this.s.deadline(this.lateAnswer(this.#pending.oldestSeq));
    if (this.#endAt <= now) return this.s.finish(this.held());
    if (this.#nextAt <= now) {
      const seq = ++this.#seq;
      this.#pending.add(seq, this.send(seq), now + this.timeout);
      // The next slot of the schedule after now: a tick that came late skips what it missed.
      this.#nextAt = this.interval === null ? Infinity : this.#nextAt + this.interval * (Math.floor((now - this.#nextAt) / this.interval) + 1);
    }
    this.#reschedule();
  }

  /** The answer to `seq` came: its sentAt (measuring clock), or NaN if it is not outstanding. */
  protected answered(seq: number): number {
    const sentAt = this.#pending.take(seq);
    if (!Number.isNaN(sentAt)) this.#reschedule();
    return sentAt;
  }

  #reschedule(): void {
    const due = Math.min(this.#nextAt, this.#pending.nextDeadline, this.#endAt);
    if (due === Infinity) this.queue.cancel(this);
    else this.queue.schedule(this, due);
  }

  onPong(_data: Buffer): void {}

  onMessage(_data: WebSocket.RawData, _isBinary: boolean): void {}

  stop(): void {
    this.queue.cancel(this);
    this.#pending.clear();
  }
}

/**
 * Heartbeat (`interval` set: a ping every interval, maybe held to an end) and the rungs
 * (ladder, bisect, keepalive: `gapMs` set, one ping after the gap, then done once answered).
 * Pings are matched to pongs by their id, so a late pong never counts for a newer ping.
 * The close reasons say what survived; lib/diagnosis/bisect.ts `rungOutcome` reads them.
 */
class Pings extends Requests {
  constructor(
    s: ProfileSession,
    queue: DueQueue,
    /** Shared by every canary of the profile: the close reasons are made from it when needed. */
    private readonly profile: ProfileConfig,
    interval: number | null,
    timeout: number,
    private readonly gapMs: number | null,
    holdMs: number | null,
  ) {
    super(s, queue, interval, timeout, interval ?? gapMs!, holdMs);
  }

  protected send(seq: number): number {
    PING_PAYLOAD.writeUInt32BE(Math.floor(seq / TWO_32), 0);
    PING_PAYLOAD.writeUInt32BE(seq >>> 0, 4);
    const sentAt = this.s.clock();
    this.s.ws.ping(PING_PAYLOAD);
    return sentAt;
  }

  protected lateAnswer(_seq: number): string {
    return `no pong within ${this.timeout} ms`;
  }

  protected override held(): string {
    const hold = this.profile.kind === 'heartbeat' ? (this.profile.hold ?? 0) : 0;
    return `hold: held ${hold / 1000}s with a ${this.interval! / 1000}s heartbeat`;
  }

  override onPong(data: Buffer): void {
    if (data.length !== 8) return;
    const sentAt = this.answered(data.readUInt32BE(0) * TWO_32 + data.readUInt32BE(4));
    if (Number.isNaN(sentAt)) return;
    this.s.addRtt(this.s.clock() - sentAt);
    if (this.gapMs !== null) this.s.finish(this.#survived(this.gapMs / 1000));
  }

  #survived(gapS: number): string {
    const p = this.profile;
    if (p.kind === 'keepalive') return `keepalive: survived ${gapS}s idle with TCP keepalive every ${p.keepalive / 1000}s`;
    return `${p.kind === 'bisect' ? 'bisect' : 'ladder'}: survived ${gapS}s idle`;
  }
}

/** Two echoes closer than this (and a quarter of the interval) came back together. */
const BUNCH_MS = 50;

/**
 * Echo messages carry [seq u64][sent-at f64 ms] then padding up to their size; the target
 * sends them back unchanged. A message not back within the deadline is a death.
 *
 * Sizes grow with `growTo`: message k (from 0) is min(growTo, messageBytes · 2^k), so the
 * session that dies or is refused names the size where a layer loses, cuts or refuses
 * frames. And what came back is watched for a layer that holds messages and releases them
 * together (a buffering proxy): an echo that arrives within min(50 ms, interval / 4) of the
 * previous one, although the two were sent at least half an interval apart, joins its bunch.
 */
class Echo extends Requests {
  // Counted on every echo: numbers from the start, updated in place (see canary-session.ts).
  #sent = 0;
  #returned = 0;
  #largestSent = 0;
  #largestReturned = 0;
  #lastSent = 0;
  #bunches = 0;
  #bunched = 0;
  /** Echoes in the current bunch (1: a lone echo so far), and its first one's RTT. */
  #bunchSize = 0;
  #bunchFirstRtt = 0;
  #maxBunchFirstRtt = 0;
  #minRtt = Infinity;
  /** The previous echo: when it arrived and when it had been sent (measuring clock). */
  #lastEchoAt = 0;
  #lastEchoSentAt = 0;

  constructor(
    s: ProfileSession,
    queue: DueQueue,
    interval: number,
    timeout: number,
    private readonly size: number,
    private readonly growTo: number,
  ) {
    super(s, queue, interval, timeout, interval, null);
  }

  /** Bytes of message `seq` (from 1). */
  #sizeOf(seq: number): number {
    const base = Math.max(16, this.size);
    if (this.growTo <= base) return base;
    return seq > 31 ? this.growTo : Math.min(this.growTo, base * 2 ** (seq - 1));
  }

  protected send(seq: number): number {
    const bytes = this.#sizeOf(seq);
    const msg = Buffer.alloc(bytes);
    msg.writeUInt32BE(Math.floor(seq / TWO_32), 0);
    msg.writeUInt32BE(seq >>> 0, 4);
    const sentAt = this.s.clock();
    msg.writeDoubleBE(sentAt, 8);
    this.s.ws.send(msg, { binary: true });
    this.s.countSent();
    this.#sent += 1;
    this.#lastSent = bytes;
    if (bytes > this.#largestSent) this.#largestSent = bytes;
    return sentAt;
  }

  protected lateAnswer(seq: number): string {
    return `echo of a ${this.#sizeOf(Number.isNaN(seq) ? 1 : seq)}-byte message not back within ${this.timeout} ms`;
  }

  override onMessage(data: WebSocket.RawData, isBinary: boolean): void {
    if (!isBinary || !Buffer.isBuffer(data) || data.length < 16) return;
    const seq = data.readUInt32BE(0) * TWO_32 + data.readUInt32BE(4);
    // When it was sent, as we recorded it (not as the echo claims).
    const sentAt = this.answered(seq);
    if (Number.isNaN(sentAt)) return;
    const at = this.s.clock();
    const rtt = at - sentAt;
    this.s.addRtt(rtt);
    if (rtt < this.#minRtt) this.#minRtt = rtt;
    const interval = this.interval!;
    if (this.#returned > 0 && at - this.#lastEchoAt < Math.min(BUNCH_MS, interval / 4) && sentAt - this.#lastEchoSentAt >= interval / 2) {
      this.#bunchSize += 1;
      if (this.#bunchSize === 2) {
        this.#bunches += 1;
        this.#bunched += 2;
        if (this.#bunchFirstRtt > this.#maxBunchFirstRtt) this.#maxBunchFirstRtt = this.#bunchFirstRtt;
      } else this.#bunched += 1;
    } else {
      this.#bunchSize = 1;
      this.#bunchFirstRtt = rtt;
    }
    this.#lastEchoAt = at;
    this.#lastEchoSentAt = sentAt;
    this.#returned += 1;
    const bytes = this.#sizeOf(seq);
    if (bytes > this.#largestReturned) this.#largestReturned = bytes;
  }

  /** A bunch was held as long as its first message's RTT exceeds the session's smallest. */
  echoStats(): EchoStats {
    const returned = this.#returned > 0;
    return {
      sent: this.#sent,
      returned: this.#returned,
      largestSentBytes: this.#largestSent,
      largestReturnedBytes: this.#largestReturned,
      lastSentBytes: this.#lastSent,
      bunches: this.#bunches,
      bunchedMessages: this.#bunched,
      maxHoldMs: this.#bunches > 0 && returned ? round3(Math.max(0, this.#maxBunchFirstRtt - this.#minRtt)) : 0,
      ...(returned && { minRttMs: round3(Math.max(0, this.#minRtt)) }),
    };
  }
}

const round3 = (ms: number) => Math.round(ms * 1000) / 1000;
