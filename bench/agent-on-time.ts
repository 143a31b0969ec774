/**
 * Heartbeats on time, seen where they land: the target counts the ping frames each
 * connection sends and judges each against the connection's own schedule, the same way
 * for every client and whatever its pings carry. Used by bench/agent-target-proc.ts.
 *
 * The schedule of a connection is phase + k × interval, k the ping's number on that
 * connection (from 0), with phase = min over its pings of (arrival_k − k × interval): no
 * ping arrives before its slot, so the earliest-looking one is the best estimate of the
 * schedule. A ping is on time when it arrives within `toleranceMs` after its slot. Over a
 * window [w0, w1), every connection that has pinged owes one ping per slot in the window;
 * one that arrives late, or not at all, is late.
 *
 * State is bounded: a few typed-array cells per connection, and during a window a row of
 * `maxPings` arrival offsets per connection. Pure: the caller passes the arrival time.
 */

/** A WebSocket frame header is at most 2 + 8 (length) + 4 (mask) bytes. */
const MAX_HEADER = 14;
const OPCODE_PING = 0x9;

export interface OnTimeResult {
  /** Connections that sent at least one ping by the end of the window. */
  heartbeatConns: number;
  /** Slots in the window, summed over those connections. */
  due: number;
  /** Pings that arrived within the tolerance after their slot. */
  onTime: number;
  /** Pings of the window's slots that arrived at all (late or not). */
  arrived: number;
  /** Lateness (arrival − slot) of the window's pings that arrived, ms: p50, p99, max. */
  lateP50: number;
  lateP99: number;
  lateMax: number;
  /** Pings that did not fit their connection's row (more than maxPings in the window): should be 0. */
  overflow: number;
}

export class OnTimeMeter {
  #capacity = 0;
  #free: number[] = [];
  #next = 0;
  /** Pings seen per connection, and min over them of (arrival_k − k × interval). */
  #count = new Int32Array(0);
  #minR = new Float64Array(0);
  /** Frame parsing across chunks: payload bytes still to skip, and a partial header. */
  #skip = new Float64Array(0);
  #hdrLen = new Uint8Array(0);
  #hdr = new Uint8Array(0);
  #live = new Uint8Array(0);
  /** The window being recorded: its start, the first ping number recorded, offsets. */
  #w0 = NaN;
  #maxPings = 0;
  #kStart = new Int32Array(0);
  #rows = new Float64Array(0);
  #overflow = 0;

  constructor(
    readonly intervalMs: number,
    readonly toleranceMs: number,
  ) {
    if (!(intervalMs > 0) || !(toleranceMs >= 0)) throw new RangeError(`intervalMs must be > 0 and toleranceMs >= 0, got ${intervalMs}, ${toleranceMs}`);
    this.#grow(1024);
  }

  /** A new connection (its upgrade is done): returns its handle for chunk() and close(). */
  open(): number {
    const slot = this.#free.pop() ?? this.#next++;
    if (slot >= this.#capacity) this.#grow(this.#capacity * 2);
    this.#count[slot] = 0;
    this.#minR[slot] = Infinity;
    this.#skip[slot] = 0;
    this.#hdrLen[slot] = 0;
    this.#live[slot] = 1;
    this.#kStart[slot] = -1;
    return slot;
  }

  close(slot: number): void {
    if (!this.#live[slot]) return;
    this.#live[slot] = 0;
    this.#free.push(slot);
  }

  /** Bytes the client sent on connection `slot`, read at `at` (ms): counts its ping frames. */
  chunk(slot: number, buf: Buffer, at: number): void {
    let i = 0;
    while (i < buf.length) {
      const skip = this.#skip[slot]!;
      if (skip > 0) {
        const n = Math.min(skip, buf.length - i);
        this.#skip[slot] = skip - n;
        i += n;
        continue;
      }
      const base = slot * MAX_HEADER;
      let len = this.#hdrLen[slot]!;
      // Copy header bytes until the header is whole (its length is known from its 2nd byte).
      while (i < buf.length && (len < 2 || len < headerLength(this.#hdr, base))) this.#hdr[base + len++] = buf[i++]!;
      this.#hdrLen[slot] = len;
      if (len < 2 || len < headerLength(this.#hdr, base)) return;
      this.#hdrLen[slot] = 0;
      this.#skip[slot] = payloadLength(this.#hdr, base);
      if ((this.#hdr[base]! & 0x0f) === OPCODE_PING) this.#ping(slot, at);
    }
  }

  /** Start recording the window that begins at `w0`, at most `maxPings` per connection. */
  start(w0: number, maxPings: number): void {
    this.#w0 = w0;
    this.#maxPings = maxPings;
    this.#rows = new Float64Array(this.#capacity * maxPings);
    this.#kStart.fill(-1);
    this.#overflow = 0;
  }

  /**
   * Judge the window [w0, w1) and stop recording. Call it at least toleranceMs after w1,
   * so that a ping due just before w1 has had its chance to arrive on time.
   */
  finish(w1: number): OnTimeResult {
    const w0 = this.#w0;
    if (Number.isNaN(w0)) throw new Error('finish() without start()');
    const I = this.intervalMs;
    let heartbeatConns = 0;
    let due = 0;
    let onTime = 0;
    const late: number[] = [];
    for (let s = 0; s < this.#next; s++) {
      const count = this.#count[s]!;
      if (!this.#live[s] || count === 0) continue;
      heartbeatConns += 1;
      const phase = this.#minR[s]!;
      const kFirst = Math.max(0, Math.ceil((w0 - phase) / I));
      const kEnd = Math.ceil((w1 - phase) / I);
      if (kEnd <= kFirst) continue;
      due += kEnd - kFirst;
      const kStart = this.#kStart[s]!;
      if (kStart < 0) continue;
      const recorded = Math.min(count - kStart, this.#maxPings);
      for (let k = kFirst; k < kEnd; k++) {
        const j = k - kStart;
        if (j < 0 || j >= recorded) continue;
        const lateness = this.#rows[s * this.#maxPings + j]! - phase;
        late.push(lateness);
        if (lateness <= this.toleranceMs) onTime += 1;
      }
    }
    this.#w0 = NaN;
    this.#rows = new Float64Array(0);
    late.sort((a, b) => a - b);
    const q = (p: number) => late[Math.min(late.length - 1, Math.floor(p * late.length))] ?? NaN;
    return { heartbeatConns, due, onTime, arrived: late.length, lateP50: q(0.5), lateP99: q(0.99), lateMax: late.at(-1) ?? NaN, overflow: this.#overflow };
  }

  #ping(slot: number, at: number): void {
    const k = this.#count[slot]!;
    this.#count[slot] = k + 1;
    const r = at - k * this.intervalMs;
    if (r < this.#minR[slot]!) this.#minR[slot] = r;
    if (Number.isNaN(this.#w0) || at < this.#w0) return;
    if (this.#kStart[slot]! < 0) this.#kStart[slot] = k;
    const j = k - this.#kStart[slot]!;
    if (j < this.#maxPings) this.#rows[slot * this.#maxPings + j] = r;
    else this.#overflow += 1;
  }

  #grow(capacity: number): void {
    const grow = <T extends Int32Array | Float64Array | Uint8Array>(a: T, make: (n: number) => T, per = 1): T => {
      const b = make(capacity * per);
      b.set(a);
      return b;
    };
    this.#count = grow(this.#count, (n) => new Int32Array(n));
    this.#minR = grow(this.#minR, (n) => new Float64Array(n));
    this.#skip = grow(this.#skip, (n) => new Float64Array(n));
    this.#hdrLen = grow(this.#hdrLen, (n) => new Uint8Array(n));
    this.#hdr = grow(this.#hdr, (n) => new Uint8Array(n), MAX_HEADER);
    this.#live = grow(this.#live, (n) => new Uint8Array(n));
    const kStart = new Int32Array(capacity).fill(-1);
    kStart.set(this.#kStart);
    this.#kStart = kStart;
    if (!Number.isNaN(this.#w0)) {
      // A window is being recorded: keep its rows (slot-major, so the old rows stay in place).
      const rows = new Float64Array(capacity * this.#maxPings);
      rows.set(this.#rows);
      this.#rows = rows;
    }
    this.#capacity = capacity;
  }
}

/** Header length from its first two bytes (RFC 6455 5.2): 2, +2 or +8 for the length, +4 for the mask. */
function headerLength(h: Uint8Array, base: number): number {
  const b1 = h[base + 1]!;
  const len7 = b1 & 0x7f;
  return 2 + (len7 === 126 ? 2 : len7 === 127 ? 8 : 0) + (b1 & 0x80 ? 4 : 0);
}

function payloadLength(h: Uint8Array, base: number): number {
  const len7 = h[base + 1]! & 0x7f;
  if (len7 === 126) return (h[base + 2]! << 8) | h[base + 3]!;
  if (len7 === 127) {
    let n = 0;
    for (let i = 2; i < 10; i++) n = n * 256 + h[base + i]!;
    return n;
  }
  return len7;
}
