/**
 * Poison-event isolation: one event the backend cannot store (a timestamp PostgreSQL refuses)
 * makes it answer 500 to every batch that carries it, and would block every event behind it
 * forever. This decides what to send while looking for that event; it does no I/O and reads no
 * clock, so agent/report/loop.ts stays the only place that sends, acks and dead-letters.
 *
 * The algorithm:
 *  1. A batch refused the same way (equal {@link Refusal.signature}) `threshold` times in a row
 *     (3; network errors, 401, 429 and 503 with Retry-After do not count, they are the
 *     backend's or the path's state) starts a session on that batch, the suspect.
 *  2. Bisect from the spool's head: send the first half. Accepted: acked, and the same size is
 *     tried on what follows. Refused the same way: halve again. Each probe goes out at once.
 *  3. An event refused the same way alone is the culprit, dead-lettered at once if the backend
 *     accepted something during the session. Otherwise it is the candidate, and the backend
 *     must prove it works first (else this is an outage): send the events right behind the
 *     candidate, a batch's worth, then half as many, down to one (the "front"; accepted:
 *     dead-letter the candidate and ack it with them). If the one right behind is refused alone
 *     too, send the last event of a wider window (4 batches) alone (accepted: dead-letter both;
 *     that event was stored out of turn and is sent again later, the backend dedupes). With
 *     nothing behind the candidate, back off until events arrive that can prove it.
 *  4. That last event refused too: the backend refuses everything, an outage. Nothing is
 *     dead-lettered, the session ends, normal backoff goes on, and isolation is tried again
 *     after twice as many refusals in a row (at most 24), so a long outage costs a burst of
 *     probes rarely; any acceptance resets that to 3.
 *  5. After a culprit, the rest of the suspect is sent whole (there may be another one); the
 *     session ends when the suspect is used up.
 * Known limit: a run of bad events at the head longer than the wider window, with nothing
 * accepted before them in the session, looks like an outage and is not dead-lettered.
 */
import type { IngestEvent } from '../../lib/contracts/ingest';
import type { Refusal } from './answer';

/** Same refusals in a row before isolation starts. */
export const POISON_STREAK = 3;
/** The most the threshold grows to after outages. */
export const MAX_POISON_STREAK = 24;

/**
 * What to send next: up to `cap` events from the spool's head (`batch`); or, to prove the
 * backend works, up to `cap` of the events right behind `candidate` (`front`), or the last
 * event of a wider window alone (`last`), never `candidate` or `second` themselves.
 */
export type Plan =
  | { kind: 'batch'; cap: number }
  | { kind: 'front'; candidate: IngestEvent; cap: number }
  | { kind: 'last'; candidate: IngestEvent; second: IngestEvent | undefined };

/** Refused alone the same way, waiting for proof. */
interface Suspect {
  event: IngestEvent;
  refusal: Refusal;
}

/** What a refusal of a `batch` send means. */
export type Verdict =
  /** Not isolating (yet), or nothing to prove with: back off as usual. */
  | { kind: 'wait' }
  /** Isolation begins on the refused batch: probe at once. */
  | { kind: 'start'; events: number }
  /** Refused the same way again: the next probe is smaller, at once. */
  | { kind: 'halve'; limit: number }
  /** Refused alone, without proof yet: seek proof at once. */
  | { kind: 'suspect'; event: IngestEvent }
  /** Refused alone while the backend accepts others: dead-letter it. */
  | { kind: 'dead-letter'; event: IngestEvent; refusal: Refusal };

interface Session {
  refusal: Refusal;
  /** Events of the suspect batch not yet accepted or dead-lettered. */
  span: number;
  /** Size of the next probe. */
  limit: number;
  /** The backend accepted something during this session. */
  proven: boolean;
  candidate?: Suspect;
  /** The event right behind the candidate, refused alone the same way too. */
  second?: Suspect;
  /** How the proof is sought now. */
  proof: 'front' | 'last';
  /** Size of the next `front` probe. */
  front: number;
  culprits: number;
}

export class PoisonIsolation {
  #session: Session | undefined;
  #streak: { signature: string; count: number } | undefined;
  #threshold = POISON_STREAK;
  #started = 0;

  /** A session is under way. */
  get isolating(): boolean {
    return this.#session !== undefined;
  }

  /** Sessions started since the reporter started. */
  get started(): number {
    return this.#started;
  }

  /** Same refusals in a row that start the next session. */
  get threshold(): number {
    return this.#threshold;
  }

  next(): Plan {
    const s = this.#session;
    if (!s) return { kind: 'batch', cap: Infinity };
    if (s.candidate && s.proof === 'last') return { kind: 'last', candidate: s.candidate.event, second: s.second?.event };
    if (s.candidate) return { kind: 'front', candidate: s.candidate.event, cap: s.front };
    return { kind: 'batch', cap: Math.max(1, Math.min(s.limit, s.span)) };
  }

  /**
   * A `batch` send of `count` events was accepted.
   * @returns `true` when that ended a session without finding a culprit.
   */
  accepted(count: number): boolean {
    this.#streak = undefined;
    this.#threshold = POISON_STREAK;
    const s = this.#session;
    if (!s) return false;
    s.proven = true;
    s.candidate = s.second = undefined;
    s.span -= count;
    if (s.span > 0) return false;
    this.#session = undefined;
    return s.culprits === 0;
  }

  /** A `batch` send of `sent` was refused with `refusal` (a 5xx or an unexpected status). */
  refused(refusal: Refusal, sent: readonly IngestEvent[]): Verdict {
    const s = this.#session;
    if (s && refusal.signature === s.refusal.signature) {
      if (sent.length > 1) {
        s.limit = Math.max(1, Math.floor(sent.length / 2));
        return { kind: 'halve', limit: s.limit };
      }
      const event = sent[0]!;
      // The candidate sent alone for want of other events: still nothing to prove with.
      if (s.candidate?.event.id === event.id) return { kind: 'wait' };
      if (s.proven) return this.#convict(s, event, refusal);
      this.#suspect(s, { event, refusal });
      return { kind: 'suspect', event };
    }
    if (this.#streak?.signature === refusal.signature) this.#streak.count++;
    else this.#streak = { signature: refusal.signature, count: 1 };
    if (this.#streak.count < this.#threshold || sent.length === 0) return { kind: 'wait' };
    this.#streak = undefined;
    this.#started++;
    const session: Session = { refusal, span: sent.length, limit: Math.max(1, Math.floor(sent.length / 2)), proven: false, proof: 'front', front: Infinity, culprits: 0 };
    this.#session = session;
    if (sent.length === 1) {
      this.#suspect(session, { event: sent[0]!, refusal });
      return { kind: 'suspect', event: sent[0]! };
    }
    return { kind: 'start', events: sent.length };
  }

  /** A 413, a 400/409/403 naming events, a 415: not the same refusal again. */
  otherAnswer(): void {
    this.#streak = undefined;
  }

  /**
   * A `front` or `last` probe of `count` events was accepted: the backend works, so the events
   * refused alone are the culprits. After `front` they are acked with the probe.
   * @returns the events to dead-letter, with the refusal each got alone.
   */
  proofAccepted(plan: 'front' | 'last', count: number): Suspect[] {
    const s = this.#session;
    if (!s?.candidate) throw new Error('proofAccepted() without a candidate');
    this.#streak = undefined;
    this.#threshold = POISON_STREAK;
    const culprits = [s.candidate, ...(s.second ? [s.second] : [])];
    s.proven = true;
    s.candidate = s.second = undefined;
    s.culprits += culprits.length;
    // A lone `last` event is not acked (it is not next in the spool): it still counts as pending.
    s.span -= culprits.length + (plan === 'front' ? count : 0);
    s.limit = Math.max(1, s.span);
    if (s.span <= 0) this.#session = undefined;
    return culprits;
  }

  /**
   * A `front` or `last` probe of `sent` was refused (a 5xx or an unexpected status).
   * @returns `again` to probe again at once, `outage` when even the last probe was refused.
   */
  proofRefused(plan: 'front' | 'last', sent: readonly IngestEvent[], refusal: Refusal): 'again' | 'outage' {
    const s = this.#session;
    if (!s?.candidate) throw new Error('proofRefused() without a candidate');
    if (plan === 'front') {
      if (sent.length > 1) {
        s.front = Math.floor(sent.length / 2);
        return 'again';
      }
      // Refused alone the same way as the candidate: a culprit too, if the backend works.
      if (refusal.signature === s.refusal.signature) s.second = { event: sent[0]!, refusal };
      s.proof = 'last';
      return 'again';
    }
    this.#session = undefined;
    this.#streak = undefined;
    this.#threshold = Math.min(MAX_POISON_STREAK, this.#threshold * 2);
    return 'outage';
  }

  /** The spool's head is no longer the candidate (evicted, or acked by another path): start over. */
  headMoved(): void {
    this.#session = undefined;
  }

  #suspect(s: Session, candidate: Suspect): void {
    s.candidate = candidate;
    s.second = undefined;
    s.proof = 'front';
    s.front = Infinity;
  }

  #convict(s: Session, event: IngestEvent, refusal: Refusal): Verdict {
    s.culprits++;
    s.span -= 1;
    s.limit = Math.max(1, s.span);
    if (s.span <= 0) this.#session = undefined;
    return { kind: 'dead-letter', event, refusal };
  }
}
