/**
 * How many events, and how many bytes of them, the next request may carry.
 *
 * Three limits, each learned differently:
 *   count/bytes  the configured bounds, halved by each 413 and kept for the run: a body limit
 *                is a property of the path to the backend (a proxy's), not of one batch
 *   split        a 400/409 that names no event: bisect with smaller batches until the culprit
 *                is alone; forgotten at the next delivery
 *   a cap        passed in by the caller per request (poison isolation, agent/report/poison.ts)
 */

/** Room for `{"events":[` and `]}` around the lines. */
export const ENVELOPE_BYTES = 64;

export interface PeekLimits {
  /** Most events (at least 1). */
  max: number;
  /** Most bytes of event lines (at least 1; the spool always returns at least one event). */
  maxBytes: number;
}

export class BatchSizer {
  #count: number;
  #bytes: number;
  #split = Infinity;

  /** @throws RangeError when a bound is not a positive integer. */
  constructor(batchSize: number, maxBodyBytes: number) {
    this.#count = positiveInt('batchSize', batchSize);
    this.#bytes = positiveInt('maxBodyBytes', maxBodyBytes);
  }

  /** The limits for the next peek; `cap` bounds the count further for this one request. */
  limits(cap = Infinity): PeekLimits {
    return { max: Math.max(1, Math.min(this.#count, this.#split, cap)), maxBytes: Math.max(1, this.#bytes - ENVELOPE_BYTES) };
  }

  /** The count limit alone (what a full batch holds now), for callers sizing extra events. */
  get count(): number {
    return this.#count;
  }

  /** A 413 for `events` events of `bodyBytes` bytes: half of both from now on. */
  tooLarge(events: number, bodyBytes: number): { countLimit: number; byteLimit: number } {
    this.#count = Math.max(1, Math.floor(events / 2));
    this.#bytes = Math.max(1, Math.floor(bodyBytes / 2));
    return { countLimit: this.#count, byteLimit: this.#bytes };
  }

  /** A refusal of `events` events that names none: the next batches hold half as many. */
  split(events: number): void {
    this.#split = Math.max(1, Math.floor(events / 2));
  }

  /** A batch went through: the culprit of a split, if any, is behind us. */
  delivered(): void {
    this.#split = Infinity;
  }
}

export function positiveInt(name: string, value: number): number {
  if (!Number.isInteger(value) || value < 1) throw new RangeError(`${name} must be a positive integer, got ${value}`);
  return value;
}
