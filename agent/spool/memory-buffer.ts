/**
 * Where the spool holds events while its disk cannot take them (full, read-only, removed):
 * the serialized lines, oldest first, after every event on disk. Bounded by bytes and by
 * count; past either bound the oldest are dropped, and the caller counts them as lost. A
 * probe that buffered without a bound would trade a full disk for an out-of-memory kill,
 * which loses everything.
 */

/** One event not on disk (yet): its line as it will be written, and its place in the order. */
export interface HeldEvent {
  /** Position in the spool's order of appends; ascending through disk, then memory. */
  ordinal: number;
  /** `JSON.stringify(event) + '\n'`. */
  line: string;
  /** UTF-8 bytes of `line`. */
  bytes: number;
}

export interface MemoryBounds {
  maxBytes: number;
  maxEvents: number;
}

export class MemoryBuffer {
  readonly #bounds: MemoryBounds;
  // A deque as an array and a head index: shift() on a long array copies it.
  #items: HeldEvent[] = [];
  #head = 0;
  #bytes = 0;

  constructor(bounds: MemoryBounds) {
    this.#bounds = bounds;
  }

  get length(): number {
    return this.#items.length - this.#head;
  }

  /** Bytes of the held lines (the JSON text, not the JavaScript heap it occupies). */
  get bytes(): number {
    return this.#bytes;
  }

  /** Hold `events` after the others; returns how many of the oldest were dropped to stay bounded. */
  push(events: readonly HeldEvent[]): number {
    for (const e of events) {
      this.#items.push(e);
      this.#bytes += e.bytes;
    }
    return this.#bound();
  }

  /** Hold `events` (older than every held one) before the others; returns how many were dropped. */
  unshift(events: readonly HeldEvent[]): number {
    if (events.length === 0) return 0;
    this.#items = [...events, ...this.#items.slice(this.#head)];
    this.#head = 0;
    for (const e of events) this.#bytes += e.bytes;
    return this.#bound();
  }

  /** The oldest events, up to `max` and `maxBytes` of lines (at least one when `atLeastOne`). */
  peek(max: number, maxBytes: number, atLeastOne: boolean): HeldEvent[] {
    const out: HeldEvent[] = [];
    let bytes = 0;
    for (let i = this.#head; i < this.#items.length && out.length < max; i++) {
      const e = this.#items[i]!;
      if (bytes + e.bytes > maxBytes && !(atLeastOne && out.length === 0)) break;
      out.push(e);
      bytes += e.bytes;
    }
    return out;
  }

  /** Every held event, oldest first (a copy). */
  all(): HeldEvent[] {
    return this.#items.slice(this.#head);
  }

  /** Forget the held events ordered before `ordinal` (delivered). */
  ackBefore(ordinal: number): void {
    let n = 0;
    for (let i = this.#head; i < this.#items.length && this.#items[i]!.ordinal < ordinal; i++) n++;
    this.shift(n);
  }

  /** Forget the `n` oldest (written to disk, delivered or dropped). */
  shift(n: number): void {
    const end = Math.min(this.#head + n, this.#items.length);
    for (let i = this.#head; i < end; i++) this.#bytes -= this.#items[i]!.bytes;
    this.#head = end;
    if (this.#head === this.#items.length) {
      this.#items = [];
      this.#head = 0;
    } else if (this.#head > 1024 && this.#head * 2 > this.#items.length) {
      this.#items = this.#items.slice(this.#head);
      this.#head = 0;
    }
  }

  #bound(): number {
    let dropped = 0;
    while (this.length > 0 && (this.#bytes > this.#bounds.maxBytes || this.length > this.#bounds.maxEvents)) {
      this.#bytes -= this.#items[this.#head]!.bytes;
      this.#head++;
      dropped++;
    }
    if (dropped > 0) this.shift(0);
    return dropped;
  }
}
