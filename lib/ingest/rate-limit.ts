/**
 * A per-probe rate limit on ingest: a token bucket of events per probe, refilled at
 * `eventsPerSecond` up to `burst`. A batch takes as many tokens as it has events, and at
 * least MIN_BATCH_COST, so a flood of one-event batches (each costing a transaction and an
 * authentication) is bounded as well: at the default 2000 events/s, 80 batches/s.
 *
 * Where the counters live, and why: in this process's memory, one Map for the process
 * (on globalThis, so Next's route bundle and server.ts's node:http path share it). It costs
 * nothing per batch and needs no schema; the price is that each server counts on its own:
 * with N servers behind a balancer, a probe may send up to N times the limit. A counter in
 * the database (an UPDATE of the probe's bucket inside the batch's transaction, which
 * already locks per probe) would hold across servers for a round trip's share of the
 * statement; it needs a table or a column, a schema change left for when several servers
 * are the norm. The limit protects one server's CPU and the database from one probe, which
 * the per-process count does: a server only ever sees its own share of the traffic.
 *
 * Time comes from the caller (the injected clock), never from a global.
 */
import { MAX_BATCH_EVENTS } from '../contracts/ingest';

/** The least a batch costs, in events (see above). */
export const MIN_BATCH_COST = 25;

export interface IngestRateLimit {
  /** Tokens (events) added per second. */
  eventsPerSecond: number;
  /** Most tokens a probe can hold: at least a whole batch, or such a batch could never pass. */
  burst: number;
}

/** The answer to a request for tokens: taken, or how long until there are enough. */
export type RateDecision = { ok: true } | { ok: false; retryAfterMs: number };

interface Bucket {
  tokens: number;
  atMs: number;
}

/** Past this many probes, buckets that have refilled (the same as no bucket) are dropped. */
const PRUNE_AT = 10_000;

export class IngestRateLimiter {
  readonly limit: Readonly<IngestRateLimit>;
  readonly #buckets = new Map<number, Bucket>();

  /** @throws RangeError when the rate is not positive or the burst is smaller than a whole batch. */
  constructor(limit: IngestRateLimit) {
    if (!(limit.eventsPerSecond > 0) || !Number.isFinite(limit.eventsPerSecond)) throw new RangeError(`eventsPerSecond must be a positive number, got ${limit.eventsPerSecond}`);
    if (!Number.isInteger(limit.burst) || limit.burst < MAX_BATCH_EVENTS) throw new RangeError(`burst must be an integer of at least ${MAX_BATCH_EVENTS} (a whole batch), got ${limit.burst}`);
    this.limit = { ...limit };
  }

  /** What a batch of `events` events costs. */
  static cost(events: number): number {
    return Math.min(MAX_BATCH_EVENTS, Math.max(MIN_BATCH_COST, Math.ceil(events)));
  }

  /**
   * Whether `probeId` could send the smallest batch now, without taking anything: checked
   * before the body is read, so a probe over its limit costs no reading or parsing.
   */
  peek(probeId: number, nowMs: number): RateDecision {
    return this.#decide(this.#refill(probeId, nowMs), MIN_BATCH_COST);
  }

  /** Take the tokens of a batch of `events` events, or say how long until they are there (taking none). */
  take(probeId: number, events: number, nowMs: number): RateDecision {
    const bucket = this.#refill(probeId, nowMs);
    const cost = IngestRateLimiter.cost(events);
    const decision = this.#decide(bucket, cost);
    if (decision.ok) {
      bucket.tokens -= cost;
      this.#buckets.set(probeId, bucket);
      if (this.#buckets.size > PRUNE_AT) this.#prune(nowMs);
    }
    return decision;
  }

  #refill(probeId: number, nowMs: number): Bucket {
    const bucket = this.#buckets.get(probeId) ?? { tokens: this.limit.burst, atMs: nowMs };
    // A clock that went back refills nothing (and takes nothing away).
    const elapsed = Math.max(0, nowMs - bucket.atMs);
    bucket.tokens = Math.min(this.limit.burst, bucket.tokens + (elapsed / 1000) * this.limit.eventsPerSecond);
    bucket.atMs = Math.max(bucket.atMs, nowMs);
    return bucket;
  }

  #decide(bucket: Bucket, cost: number): RateDecision {
    if (bucket.tokens >= cost) return { ok: true };
    return { ok: false, retryAfterMs: Math.ceil(((cost - bucket.tokens) / this.limit.eventsPerSecond) * 1000) };
  }

  #prune(nowMs: number): void {
    for (const [id, bucket] of this.#buckets) {
      if (bucket.tokens + ((nowMs - bucket.atMs) / 1000) * this.limit.eventsPerSecond >= this.limit.burst) this.#buckets.delete(id);
    }
  }
}

const KEY = Symbol.for('dropscope.ingest-rate-limiter');
type Holder = { [KEY]?: IngestRateLimiter };

/**
 * This process's limiter for `limit`, shared by every ingest request it serves (the one
 * place it is handed across Next's bundle and server.ts). A changed limit (tests) starts
 * a fresh one.
 */
export function processRateLimiter(limit: IngestRateLimit): IngestRateLimiter {
  const holder = globalThis as Holder;
  const current = holder[KEY];
  if (current && current.limit.eventsPerSecond === limit.eventsPerSecond && current.limit.burst === limit.burst) return current;
  return (holder[KEY] = new IngestRateLimiter(limit));
}
