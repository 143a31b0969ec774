/**
 * The reporter's loop: peek a batch, send it, act on the answer (see the table in
 * agent/reporter.ts), then go on at once, back off, pause or wait for events. Events leave the
 * spool only when acked after a 200 or once they are in the dead-letter file.
 */
import type { IngestEvent } from '../../lib/contracts/ingest';
import type { Logger } from '../../lib/log';
import { nextDelay, type BackoffOptions } from '../backoff';
import type { Spool, SpoolCursor } from '../spool';
import type { Answer, Refusal } from './answer';
import type { BatchSizer, PeekLimits } from './batch-size';
import type { DeadLetterFile } from './dead-letter';
import type { Plan, PoisonIsolation } from './poison';
import { Sleeps } from './sleep';
import type { Transport } from './transport';
import type { Reporter, ReporterStats, Timers } from './types';
import type { UnauthorizedPause } from './unauthorized';

export interface LoopParts {
  spool: Pick<Spool, 'peek' | 'ack' | 'depth' | 'onAppend'>;
  transport: Transport;
  sizer: BatchSizer;
  deadLetters: DeadLetterFile;
  poison: PoisonIsolation;
  pause: UnauthorizedPause;
  backoff: BackoffOptions;
  idlePollMs: number;
  /** After an append wakes an idle reporter, wait this long for more (0: send at once). */
  lingerMs: number;
  timers: Timers;
  now: () => Date;
  random: () => number;
  log: Logger;
  /** Aborted by stop(): cuts the request in flight. */
  stopper: AbortController;
}

/** What one step achieved: `sent` and `again` loop at once, `failed` backs off, `idle` waits. */
type Step = 'sent' | 'again' | 'failed' | 'idle';

/** Immediate retries (splits, dead-letters, isolation probes) in a row before a backoff, so no path can spin. */
const MAX_IMMEDIATE = 64;
/** How many batches' worth the `last` proof probe looks ahead for an event other than the suspects. */
const LAST_PROBE_REACH = 4;

/** Run the loop until stop(). */
export function startLoop(parts: LoopParts): Reporter {
  const { spool, transport, sizer, deadLetters, poison, pause, backoff, now, log, stopper } = parts;
  const counts = { sent: 0, failures: 0 };
  let lastError: string | undefined;
  let lastSuccessAt: Date | undefined;
  let stopping = false;
  let attempt = 0;
  let failingSince: Date | undefined;
  /** A Retry-After in this step's answer: the backoff waits at least that long (up to its cap). */
  let retryAfterMs: number | undefined;
  const sleeps = new Sleeps(parts.timers);
  let flushWaiters: (() => void)[] = [];
  const unsubscribe = spool.onAppend(() => sleeps.wake('append'));

  function stats(): ReporterStats {
    const since = pause.since;
    return {
      ...counts,
      deadLettered: deadLetters.count,
      ...(lastError !== undefined && { lastError }),
      ...(lastSuccessAt && { lastSuccessAt }),
      unauthorized: since !== undefined,
      ...(since && { unauthorizedSince: since }),
      isolating: poison.isolating,
      isolations: poison.started,
    };
  }

  function settleFlushes(): void {
    const waiters = flushWaiters;
    flushWaiters = [];
    for (const resolve of waiters) resolve();
  }

  async function ack(cursor: SpoolCursor, peeked: IngestEvent[]): Promise<void> {
    await spool.ack(cursor);
    deadLetters.acked(peeked);
  }

  /** A 200: the path and the token work. `acked` events left the spool with it. */
  function delivered(sent: number, acked: number, answer: Extract<Answer, { kind: 'ok' }>): void {
    counts.sent += acked;
    lastSuccessAt = now();
    sizer.delivered();
    if (answer.accepted + answer.duplicates !== sent) log.warn({ accepted: answer.accepted, duplicates: answer.duplicates, events: sent }, 'backend counted a different number of events than sent');
    if (pause.since) pause.accepted(spool.depth());
    else if (attempt > 0) log.info({ failedAttempts: attempt, downForMs: failingSince ? now().getTime() - failingSince.getTime() : undefined }, 'backend reachable again');
    attempt = 0;
    failingSince = undefined;
    log.debug({ events: sent, accepted: answer.accepted, duplicates: answer.duplicates }, 'batch delivered');
  }

  /** Count a failed request; `level` logs it (one line per attempt), `quiet` does not. */
  function fail(reason: string, level: 'warn' | 'quiet' = 'warn'): Step {
    counts.failures++;
    lastError = reason;
    failingSince ??= now();
    if (level === 'warn') log.warn({ attempt, pending: spool.depth(), reason }, 'sending to the backend failed: events kept, retrying');
    return 'failed';
  }

  async function step(): Promise<Step> {
    sleeps.clearAppended();
    const plan = poison.next();
    const limits = peekLimits(plan);
    const { events: peeked, cursor } = await spool.peek(limits.max, { maxBytes: limits.maxBytes });
    if (peeked.length === 0) return 'idle';
    const events = peeked.filter((e) => !deadLetters.holds(e.id));
    if (events.length === 0) {
      await ack(cursor, peeked);
      return 'sent';
    }
    if (plan.kind === 'batch') return sendBatch(events, peeked, cursor);
    if (events[0]!.id !== plan.candidate.id) {
      poison.headMoved();
      return 'again';
    }
    if (plan.kind === 'front') {
      const probe = events.slice(1, 1 + Math.min(sizer.count, plan.cap));
      // Acked with the candidate if accepted: under a cursor that ends with the probe.
      if (probe.length > 0) return withCursorThrough(probe.at(-1)!, peeked, cursor, (window) => proof('front', probe, window.events, window.cursor));
    } else {
      const probe = events.slice(-1).filter((e) => e.id !== plan.candidate.id && e.id !== plan.second?.id);
      if (probe.length > 0) return proof('last', probe, peeked, cursor);
    }
    // Nothing behind the suspects yet: the candidate goes alone, as a batch (see PoisonIsolation.refused).
    return withCursorThrough(events[0]!, peeked, cursor, (window) => sendBatch(events.slice(0, 1), window.events, window.cursor));
  }

  /** A batch; a `front` probe: the candidate and a batch behind it; a `last` probe: a wider window. */
  function peekLimits(plan: Plan): PeekLimits {
    if (plan.kind === 'batch') return sizer.limits(plan.cap);
    const { maxBytes } = sizer.limits();
    // Events already dead-lettered but not yet acked come back in the peek, taking room.
    const room = 1 + deadLetters.pending;
    if (plan.kind === 'front') return { max: room + Math.min(sizer.count, plan.cap), maxBytes };
    return { max: room + LAST_PROBE_REACH * sizer.count, maxBytes: LAST_PROBE_REACH * maxBytes };
  }

  /** Run `send` with the peeked events up to `last` and a cursor that acks nothing after it. */
  async function withCursorThrough(
    last: IngestEvent,
    peeked: IngestEvent[],
    cursor: SpoolCursor,
    send: (window: { events: IngestEvent[]; cursor: SpoolCursor }) => Promise<Step>,
  ): Promise<Step> {
    const through = peeked.indexOf(last) + 1;
    if (through === peeked.length) return send({ events: peeked, cursor });
    // Only this loop acks, so the head is as peeked; unless the spool evicted it meanwhile.
    const window = await spool.peek(through);
    if (window.events.at(-1)?.id !== last.id) return 'again';
    return send(window);
  }

  async function sendBatch(events: IngestEvent[], peeked: IngestEvent[], cursor: SpoolCursor): Promise<Step> {
    const json = JSON.stringify({ events });
    const answer = await transport.post(events, json);
    if (answer.kind === 'ok') {
      // Counted at the 200, before the ack: whoever sees the spool drained sees them sent.
      delivered(events.length, events.length, answer);
      await ack(cursor, peeked);
      if (poison.accepted(events.length)) log.info({ events: events.length }, 'the refused batch went through in parts: no event to dead-letter');
      return 'sent';
    }
    if (answer.kind === 'retry' && answer.refusal) return refused(answer.refusal, answer.reason, events);
    return otherAnswer(answer, events, json);
  }

  /** A 5xx or unexpected status for a batch: back off, or isolate the event that causes it. */
  async function refused(refusal: Refusal, reason: string, events: IngestEvent[]): Promise<Step> {
    const started = poison.started;
    const verdict = poison.refused(refusal, events);
    if (verdict.kind === 'wait') return fail(reason);
    fail(reason, 'quiet');
    if (poison.started !== started) {
      log.warn(
        { events: events.length, refusals: poison.threshold, reason },
        `backend refused the same batch ${poison.threshold} times the same way: sending parts of it to find an event it cannot take`,
      );
    }
    if (verdict.kind === 'dead-letter') await deadLetters.putCulprits([verdict]);
    else log.debug({ verdict: verdict.kind, events: events.length }, 'isolating: refused again');
    return 'again';
  }

  /**
   * Proof that the backend takes events other than the suspects (see agent/report/poison.ts):
   * `front` sends the events right behind the candidate, `last` one event further on, alone.
   */
  async function proof(kind: 'front' | 'last', sent: IngestEvent[], peeked: IngestEvent[], cursor: SpoolCursor): Promise<Step> {
    const json = JSON.stringify({ events: sent });
    const answer = await transport.post(sent, json);
    if (answer.kind === 'ok') {
      // The front is everything from the head through the probe: acked with the culprit. A
      // lone last event is stored but not acked (events before it are not): sent again later.
      delivered(sent.length, kind === 'front' ? sent.length : 0, answer);
      await deadLetters.putCulprits(poison.proofAccepted(kind, sent.length));
      if (kind === 'front') await ack(cursor, peeked);
      return 'sent';
    }
    if (answer.kind === 'retry' && answer.refusal) {
      if (poison.proofRefused(kind, sent, answer.refusal) === 'again') {
        fail(answer.reason, 'quiet');
        return 'again';
      }
      return fail(`${answer.reason} (refused for other events too: the backend's trouble, not one event's; nothing dead-lettered)`);
    }
    return otherAnswer(answer, sent, json);
  }

  /** Everything but a 200 and a 5xx/unexpected refusal: the same for a batch and a proof probe. */
  async function otherAnswer(answer: Exclude<Answer, { kind: 'ok' }>, events: IngestEvent[], json: string): Promise<Step> {
    switch (answer.kind) {
      case 'stopped':
        return 'failed';
      case 'unauthorized':
        pause.refused(answer.reason, spool.depth());
        return fail(answer.reason, 'quiet');
      case 'retry':
        retryAfterMs = answer.retryAfterMs;
        return fail(answer.reason);
      case 'too-large': {
        poison.otherAnswer();
        if (events.length === 1) {
          await deadLetters.put([{ event: events[0]!, reason: `${answer.reason} (alone in its request)` }]);
          return 'again';
        }
        const bytes = Buffer.byteLength(json);
        const { countLimit, byteLimit } = sizer.tooLarge(events.length, bytes);
        log.warn({ events: events.length, bytes, countLimit, byteLimit }, 'backend refused the body as too large: halving the batch');
        return 'again';
      }
      case 'bad-encoding':
        poison.otherAnswer();
        if (!transport.dropGzip()) return fail(answer.reason);
        log.warn({ reason: answer.reason }, 'backend refused the gzip body: sending uncompressed');
        return 'again';
      case 'rejected':
        poison.otherAnswer();
        if (answer.culprits.length > 0) {
          await deadLetters.put(answer.culprits);
          return 'again';
        }
        if (events.length === 1) {
          await deadLetters.put([{ event: events[0]!, reason: answer.reason }]);
          return 'again';
        }
        sizer.split(events.length);
        log.warn({ events: events.length, reason: answer.reason }, 'backend refused the batch without naming events: bisecting');
        return 'again';
    }
  }

  const loop = (async () => {
    let immediate = 0;
    while (!stopping) {
      let result: Step;
      retryAfterMs = undefined;
      try {
        result = await step();
      } catch (err) {
        // Spool or dead-letter I/O: the events stay where they are; never let this kill the probe.
        log.error({ err }, 'reporter step failed');
        result = fail(err instanceof Error ? err.message : String(err));
      }
      if (stopping) break;
      if (result === 'again' && ++immediate < MAX_IMMEDIATE) continue;
      immediate = 0;
      if (result === 'sent') {
        if (spool.depth() === 0) settleFlushes();
        continue;
      }
      if (result === 'idle') {
        settleFlushes();
        await sleeps.wait(parts.idlePollMs, true);
        // A trickle of events (a canary's ending, a minute's RTT samples) goes out in batches
        // after a short linger, not one request per append. flush() and stop() cut it short.
        if (parts.lingerMs > 0 && !stopping) await sleeps.wait(parts.lingerMs, false);
        continue;
      }
      // 'failed' (or too many immediate retries): a flush waits no longer.
      if (result === 'failed') settleFlushes();
      const jitter = nextDelay(attempt, backoff, parts.random);
      attempt++;
      // While the token is refused, whatever failed: nothing goes out faster than the pause.
      const ms = pause.since ? pause.retryMs : Math.max(jitter, Math.min(retryAfterMs ?? 0, backoff.capMs));
      await sleeps.wait(ms, false);
    }
    unsubscribe();
    settleFlushes();
  })();

  let stopped: Promise<void> | undefined;
  return {
    flush() {
      // While the token is refused a flush would only send one more doomed request.
      if (stopping || spool.depth() === 0 || pause.since) return Promise.resolve();
      return new Promise<void>((resolve) => {
        flushWaiters.push(resolve);
        sleeps.wake('flush');
      });
    },
    stop() {
      stopped ??= (async () => {
        stopping = true;
        stopper.abort();
        sleeps.wake('stop');
        await loop;
        log.info({ ...stats(), pending: spool.depth() }, 'reporter stopped');
      })();
      return stopped;
    },
    stats,
  };
}
