/**
 * Canary traffic profiles. Each starts on an open WebSocket and is stopped by the session.
 *   idle      sends nothing: the shortest idle timeout on the path cuts it.
 *   heartbeat ping every interval, pong deadline: silent deaths noticed within P+T.
 *   echo      an application message every interval, echoed by the target: end-to-end
 *             message RTT, buffering proxies, large frames lost.
 *   ladder    idle for one gap, then a single ping: does the path survive this much silence?
 *
 * A profile is a small record on the probe's one timer queue (agent/schedule/due-queue.ts):
 * its next ping and its oldest pong deadline are one entry, so a ping costs no timer, no
 * closure and no buffer of its own. Pings are due at open + k × interval, whatever the
 * lateness of the previous one: the schedule does not drift.
 */
import type WebSocket from 'ws';
import type { ProfileConfig } from './config';
import type { DueEntry, DueQueue } from './schedule/due-queue';

/** What a profile may do to its session (agent/canary-session.ts implements it). */
export interface ProfileSession {
  ws: WebSocket;
  /** The measuring clock (monotonic ms). */
  clock: () => number;
  gapMs?: number;
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
      return new Pings(s, queue, profile.interval, profile.timeout, null);
    case 'echo':
      return new Echo(s, queue, profile.interval, profile.timeout, profile.messageBytes);
    case 'ladder':
      return new Pings(s, queue, null, profile.timeout, s.gapMs ?? profile.gaps[0]!);
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
 * or once after a gap), matched to their answers by sequence number, each with a deadline.
 * One entry on the queue: due at the next send or the oldest deadline, whichever is first.
 */
abstract class Requests implements Profile, DueEntry {
  dueAt = 0;
  tick = 0;
  slot = -1;
  #seq = 0;
  /** A number from the start, so V8 updates it in place (see agent/canary-session.ts). */
  #nextAt = 0;
  readonly #pending = new Outstanding();

  constructor(
    protected readonly s: ProfileSession,
    private readonly queue: DueQueue,
    /** Between sends; null for a single send after `firstAfter`. */
    private readonly interval: number | null,
    protected readonly timeout: number,
    firstAfter: number,
  ) {
    this.#nextAt = queue.now() + firstAfter;
    queue.schedule(this, this.#nextAt);
  }

  /** Send request `seq`; returns when it was sent on the measuring clock. */
  protected abstract send(seq: number): number;
  /** Why the session died when an answer did not come in time. */
  protected abstract get lateAnswer(): string;

  fire(now: number): void {
    if (this.#pending.nextDeadline <= now) return this.s.deadline(this.lateAnswer);
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
    const due = Math.min(this.#nextAt, this.#pending.nextDeadline);
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
 * Heartbeat (`interval` set: a ping every interval) and ladder (`gapMs` set: one ping after
 * the gap, then done once answered). Pings are matched to pongs by their id, so a late
 * pong never counts for a newer ping.
 */
class Pings extends Requests {
  constructor(s: ProfileSession, queue: DueQueue, interval: number | null, timeout: number, private readonly gapMs: number | null) {
    super(s, queue, interval, timeout, interval ?? gapMs!);
  }

  protected send(seq: number): number {
    PING_PAYLOAD.writeUInt32BE(Math.floor(seq / TWO_32), 0);
    PING_PAYLOAD.writeUInt32BE(seq >>> 0, 4);
    const sentAt = this.s.clock();
    this.s.ws.ping(PING_PAYLOAD);
    return sentAt;
  }

  protected get lateAnswer(): string {
    return `no pong within ${this.timeout} ms`;
  }

  override onPong(data: Buffer): void {
    if (data.length !== 8) return;
    const sentAt = this.answered(data.readUInt32BE(0) * TWO_32 + data.readUInt32BE(4));
    if (Number.isNaN(sentAt)) return;
    this.s.addRtt(this.s.clock() - sentAt);
    if (this.gapMs !== null) this.s.finish(`ladder: survived ${this.gapMs / 1000}s idle`);
  }
}

/**
 * Echo messages carry [seq u64][sent-at f64 ms] then padding up to the configured size; the
 * target sends them back unchanged. A message not back within the deadline is a death.
 */
class Echo extends Requests {
  constructor(s: ProfileSession, queue: DueQueue, interval: number, timeout: number, private readonly size: number) {
    super(s, queue, interval, timeout, interval);
  }

  protected send(seq: number): number {
    const msg = Buffer.alloc(Math.max(16, this.size));
    msg.writeUInt32BE(Math.floor(seq / TWO_32), 0);
    msg.writeUInt32BE(seq >>> 0, 4);
    const sentAt = this.s.clock();
    msg.writeDoubleBE(sentAt, 8);
    this.s.ws.send(msg, { binary: true });
    this.s.countSent();
    return sentAt;
  }

  protected get lateAnswer(): string {
    return `echo of a ${Math.max(16, this.size)}-byte message not back within ${this.timeout} ms`;
  }

  override onMessage(data: WebSocket.RawData, isBinary: boolean): void {
    if (!isBinary || !Buffer.isBuffer(data) || data.length < 16) return;
    if (Number.isNaN(this.answered(data.readUInt32BE(0) * TWO_32 + data.readUInt32BE(4)))) return;
    this.s.addRtt(this.s.clock() - data.readDoubleBE(8));
  }
}
