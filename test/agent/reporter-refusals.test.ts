/**
 * The reporter against refusals that retrying does not cure: a revoked token (401), and one
 * event the backend cannot store (500 to every batch that carries it). A real HTTP backend on
 * loopback (test/helpers/ingest-backend.ts), a real spool in a temp dir, and virtual time: the reporter's waits go through an
 * injected timer seam that the test elapses one by one, so "no request faster than 5 min" is
 * checked on the virtual clock, never on the wall clock.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { DEAD_LETTER_FILE, startReporter, type Reporter, type ReporterOptions, type Timers } from '../../agent/reporter';
import type { DeadLetterRecord } from '../../agent/report/dead-letter';
import { Spool } from '../../agent/spool';
import type { IngestEvent } from '../../lib/contracts/ingest';
import { heartbeat, T0 } from '../helpers/events';
import { IngestBackend, type IngestAnswer } from '../helpers/ingest-backend';
import { capturedLog } from '../helpers/log-capture';

const TOKEN = `dsp_9_${'t0ken-'.repeat(6)}y`;
const STORE_FAILED = JSON.stringify({ error: { code: 'INGEST_ERR_STORE', message: 'the batch could not be stored; nothing was kept, retry later' } });

interface Sleep {
  ms: number;
  at: number;
  fn: () => void;
  state: 'pending' | 'elapsed' | 'cut';
}

/** Time that moves only when the test elapses the reporter's next wait. */
function virtualTime() {
  let t = T0.getTime();
  const pending = new Set<Sleep>();
  const sleeps: Sleep[] = [];
  const timers: Timers = {
    setTimeout(fn, ms) {
      const s: Sleep = { ms, at: t + ms, fn, state: 'pending' };
      pending.add(s);
      sleeps.push(s);
      return s;
    },
    clearTimeout(handle) {
      const s = handle as Sleep;
      if (pending.delete(s)) s.state = 'cut';
    },
  };
  return {
    timers,
    now: () => new Date(t),
    t: () => t,
    sleeps,
    pending,
    /** Elapse the earliest pending wait: the clock moves to its end. */
    elapse(): Sleep {
      const next = [...pending].sort((a, b) => a.at - b.at)[0];
      if (!next) throw new Error('the reporter is not waiting');
      pending.delete(next);
      t = Math.max(t, next.at);
      next.state = 'elapsed';
      next.fn();
      return next;
    },
  };
}

const heartbeats = (n: number) => Array.from({ length: n }, () => heartbeat());
const ids = (events: IngestEvent[]) => events.map((e) => e.id);
const carries = (batch: IngestEvent[], id: string) => batch.some((e) => e.id === id);

describe('reporter refusals', () => {
  let dir: string;
  let vt: ReturnType<typeof virtualTime>;
  let backend: IngestBackend;
  let logged: ReturnType<typeof capturedLog>;
  const spools: Spool[] = [];
  const reporters: Reporter[] = [];

  beforeEach(async () => {
    dir = mkdtempSync(path.join(tmpdir(), 'dropscope-reporter-refusals-'));
    vt = virtualTime();
    logged = capturedLog();
    backend = new IngestBackend({ token: TOKEN, clock: vt.t });
    await backend.listen();
  });
  afterEach(async () => {
    await Promise.all(reporters.splice(0).map((r) => r.stop()));
    await Promise.all(spools.splice(0).map((s) => s.close()));
    await backend.close();
    rmSync(dir, { recursive: true, force: true });
    expect(logged.text.join('')).not.toContain(TOKEN);
  });

  async function openSpool(events: IngestEvent[] = []): Promise<Spool> {
    const spool = await Spool.open(dir, { maxBytes: 64 << 20, log: logged.log });
    spools.push(spool);
    await spool.append(events);
    return spool;
  }

  function start(spool: Spool, options: Partial<ReporterOptions> = {}): Reporter {
    const reporter = startReporter({
      spool,
      backendUrl: backend.url,
      token: TOKEN,
      backoff: { baseMs: 1_000, capMs: 60_000 },
      log: logged.log,
      idlePollMs: 3_600_000,
      timers: vt.timers,
      now: vt.now,
      random: () => 0.5,
      ...options,
    });
    reporters.push(reporter);
    return reporter;
  }

  /**
   * Wait (in real time, bounded) until the reporter waits on the virtual clock: it then does
   * nothing until the test elapses that wait, so whatever the test reads is settled.
   */
  async function asleep(): Promise<void> {
    // Bounded in time, generously: the requests are real, and a loaded machine is slow.
    const deadline = Date.now() + 20_000;
    while (Date.now() < deadline) {
      if (vt.pending.size > 0) return;
      await new Promise((r) => setTimeout(r, 5));
    }
    throw new Error('the reporter never went to sleep');
  }

  /** Elapse the reporter's waits one by one until `done()` holds once it is asleep. */
  async function runUntil(done: () => boolean, what: string, maxWaits = 300): Promise<void> {
    for (let i = 0; i < maxWaits; i++) {
      await asleep();
      if (done()) return;
      vt.elapse();
    }
    throw new Error(`${what}: not reached after ${maxWaits} waits`);
  }

  const deadLetters = (): DeadLetterRecord[] => {
    try {
      return readFileSync(path.join(dir, DEAD_LETTER_FILE), 'utf8').trim().split('\n').map((l) => JSON.parse(l));
    } catch {
      return [];
    }
  };
  const reporterLines = (level: number, msg: RegExp) => logged.lines.filter((l) => l.module === 'reporter' && l.level === level && msg.test(l.msg));

  describe('a revoked token (401)', () => {
    it('pauses: one request per 5 min, one error line (and one reminder an hour), stats.unauthorized; resumes and delivers all once restored', async () => {
      backend.tokenValid = false;
      const events = heartbeats(5);
      const spool = await openSpool(events);
      const reporter = start(spool);

      await asleep();
      expect(backend.requests.map((r) => r.status)).toEqual([401]);
      expect(reporter.stats()).toMatchObject({ unauthorized: true, unauthorizedSince: T0, sent: 0, failures: 1 });
      expect([...vt.pending].map((s) => s.ms)).toEqual([300_000]);

      // flush() resolves without sending, and an append does not cut the pause short.
      await reporter.flush();
      const more = heartbeats(2);
      await spool.append(more);
      expect(backend.requests).toHaveLength(1);
      expect([...vt.pending].map((s) => s.state)).toEqual(['pending']);

      // 70 virtual minutes of refusals.
      for (let i = 0; i < 14; i++) {
        vt.elapse();
        await asleep();
      }
      expect(backend.requests.map((r) => r.status)).toEqual(Array(15).fill(401));
      const gaps = backend.requests.slice(1).map((r, i) => r.at - backend.requests[i]!.at);
      expect(gaps.every((g) => g >= 300_000)).toBe(true);
      expect(vt.sleeps.every((s) => s.ms === 300_000)).toBe(true);

      const paused = reporterLines(50, /^backend refused the probe token \(HTTP 401\): sending paused, events kept in the spool; retrying every 5 min/);
      expect(paused).toHaveLength(1);
      expect(paused[0]!.reason).toMatch(/^HTTP 401 INGEST_ERR_UNAUTHORIZED/);
      // The request at 60 min is the first an hour after the first line: one reminder.
      expect(reporterLines(50, /still refuses the probe token/)).toHaveLength(1);
      expect(logged.lines.filter((l) => l.module === 'reporter' && l.level >= 40)).toHaveLength(2);
      expect(reporter.stats()).toMatchObject({ unauthorized: true, unauthorizedSince: T0, failures: 15 });

      backend.tokenValid = true;
      await runUntil(() => spool.depth() === 0, 'delivery after the token is restored');
      expect(ids(backend.received)).toEqual(ids([...events, ...more]));
      const stats = reporter.stats();
      expect(stats).toMatchObject({ unauthorized: false, sent: 7 });
      expect(stats).not.toHaveProperty('unauthorizedSince');
      const resumed = reporterLines(30, /sending resumed/);
      expect(resumed).toHaveLength(1);
      expect(resumed[0]!.pausedForMs).toBe(75 * 60_000);
      expect(await reporter.flush()).toBeUndefined();
    });

    it('validates unauthorizedRetryMs', () => {
      expect(() => startReporter({ spool: {} as never, backendUrl: 'http://127.0.0.1:9', token: TOKEN, backoff: { baseMs: 1, capMs: 1 }, log: logged.log, unauthorizedRetryMs: 0 })).toThrow(RangeError);
    });
  });

  describe('a poison event', () => {
    const isolationStarts = () => reporterLines(40, /^backend refused the same batch 3 times the same way/);
    const culpritLines = () => reporterLines(50, /^backend refuses one event whenever it is sent/);

    it('behind good ones: isolated by halves, dead-lettered with the answer; every good event delivered in order', async () => {
      const events = heartbeats(40);
      const poison = events[27]!;
      backend.answer = (batch) => (carries(batch, poison.id) ? { status: 500, body: STORE_FAILED } : undefined);
      const spool = await openSpool(events);
      const reporter = start(spool, { batchSize: 16 });
      await runUntil(() => spool.depth() === 0, 'the spool to drain');

      expect(ids(backend.received)).toEqual(ids(events).filter((id) => id !== poison.id));
      const letters = deadLetters();
      expect(letters.map((l) => l.event)).toEqual([poison]);
      expect(letters[0]!.answer).toEqual({ status: 500, body: STORE_FAILED });
      expect(letters[0]!.reason).toMatch(/^HTTP 500 INGEST_ERR_STORE: the batch could not be stored.* \(refused alone, while the backend accepted other events\)$/);
      expect(letters[0]!.at).toBe(vt.now().toISOString());
      // 3 batches of 16, the refused one twice more, then at most 2 probes per halving (16 -> 1).
      expect(backend.requests.length).toBeLessThanOrEqual(3 + 2 + 2 * 4 + 2);
      expect(reporter.stats()).toMatchObject({ sent: 39, deadLettered: 1, isolating: false, isolations: 1, failures: 3 + 4 });
      expect(isolationStarts()).toHaveLength(1);
      expect(culpritLines()).toHaveLength(1);
      expect(culpritLines()[0]!.events).toEqual([{ id: poison.id, type: 'probe.heartbeat', reason: letters[0]!.reason }]);
    });

    it('at the head of the spool: proven by the events behind it, then all of them delivered', async () => {
      const events = heartbeats(10);
      const poison = events[0]!;
      // No problem JSON: the body itself is the signature.
      backend.answer = (batch) => (carries(batch, poison.id) ? { status: 502, body: '<html>\n  upstream   said no\n</html>' } : undefined);
      const spool = await openSpool(events);
      const reporter = start(spool);
      await runUntil(() => spool.depth() === 0, 'the spool to drain');

      expect(ids(backend.received)).toEqual(ids(events.slice(1)));
      const letters = deadLetters();
      expect(letters.map((l) => [l.event.id, l.answer])).toEqual([[poison.id, { status: 502, body: '<html> upstream said no </html>' }]]);
      expect(letters[0]!.reason).toMatch(/^HTTP 502 body: <html> upstream said no <\/html> \(refused alone/);
      // 3 refusals, halves of 5, 2, 1, then the tail behind it.
      expect(backend.requests.map((r) => [r.status, r.ids.length])).toEqual([
        [502, 10],
        [502, 10],
        [502, 10],
        [502, 5],
        [502, 2],
        [502, 1],
        [200, 9],
      ]);
      expect(reporter.stats()).toMatchObject({ sent: 9, deadLettered: 1, isolating: false, isolations: 1 });
    });

    it('two poison events refused the same way, one right behind the other: both dead-lettered, the rest delivered', async () => {
      const events = heartbeats(12);
      const bad = new Set([events[0]!.id, events[1]!.id]);
      backend.answer = (batch) => (batch.some((e) => bad.has(e.id)) ? { status: 500, body: STORE_FAILED } : undefined);
      const spool = await openSpool(events);
      const reporter = start(spool);
      await runUntil(() => spool.depth() === 0, 'the spool to drain');

      expect(new Set(ids(backend.received))).toEqual(new Set(ids(events.slice(2))));
      expect(deadLetters().map((l) => l.event.id)).toEqual([...bad]);
      expect(reporter.stats()).toMatchObject({ deadLettered: 2, isolating: false });
      expect(backend.requests.length).toBeLessThanOrEqual(20);
    });

    it('in an outage (500 to everything) dead-letters nothing, keeps backing off, and tries isolation again less often', async () => {
      const events = heartbeats(10);
      backend.answer = () => ({ status: 500, body: STORE_FAILED });
      const spool = await openSpool(events);
      const reporter = start(spool);
      await runUntil(() => reporter.stats().isolations === 3 && !reporter.stats().isolating, 'three isolations');

      expect(deadLetters()).toEqual([]);
      expect(spool.depth()).toBe(10);
      expect(ids(backend.received)).toEqual([]);
      // Each isolation: halves of 5, 2, 1 (the candidate), then the front behind it (9, 4, 2, 1)
      // and the last event alone, all refused: 8 probes. Between isolations 3, then 6, then 12
      // refusals in a row.
      const sizes = backend.requests.map((r) => r.ids.length);
      expect(sizes.slice(0, 11)).toEqual([10, 10, 10, 5, 2, 1, 9, 4, 2, 1, 1]);
      expect(backend.requests[10]!.ids).toEqual([events[9]!.id]);
      expect(sizes).toHaveLength(3 + 8 + 6 + 8 + 12 + 8);
      const stats = reporter.stats();
      expect(stats).toMatchObject({ deadLettered: 0, sent: 0, isolations: 3 });
      expect(isolationStarts()).toHaveLength(1);
      expect(reporterLines(40, /sending parts of it/)).toHaveLength(3);
      expect(culpritLines()).toHaveLength(0);
      expect(logged.lines.some((l) => l.level === 40 && /nothing dead-lettered/.test(l.reason ?? ''))).toBe(true);
      // Normal backoff between refusals: a wait before every request but the first and the
      // probes of each isolation.
      expect(vt.sleeps.filter((s) => s.state === 'elapsed')).toHaveLength(sizes.length - 1 - 3 * 8);

      backend.answer = undefined;
      await runUntil(() => spool.depth() === 0, 'delivery after the outage');
      expect(new Set(ids(backend.received))).toEqual(new Set(ids(events)));
      expect(deadLetters()).toEqual([]);
    });

    it('alone in the spool: kept until other events prove the backend works, then dead-lettered', async () => {
      const poison = heartbeat();
      backend.answer = (batch) => (carries(batch, poison.id) ? { status: 500, body: STORE_FAILED } : undefined);
      const spool = await openSpool([poison]);
      const reporter = start(spool);
      await runUntil(() => backend.requests.length >= 12, '12 requests');

      // Nothing to prove the backend works with: backoff, never a dead-letter.
      expect(deadLetters()).toEqual([]);
      expect(spool.depth()).toBe(1);
      expect(backend.requests.every((r) => r.ids.length === 1 && r.status === 500)).toBe(true);
      expect(reporter.stats()).toMatchObject({ isolating: true, deadLettered: 0 });

      const later = heartbeats(3);
      await spool.append(later);
      await runUntil(() => spool.depth() === 0, 'the spool to drain');
      expect(ids(backend.received)).toEqual(ids(later));
      expect(deadLetters().map((l) => l.event.id)).toEqual([poison.id]);
      expect(reporter.stats()).toMatchObject({ isolating: false, deadLettered: 1, sent: 3 });
    });

    it('in batches of one: dead-lettered once the event behind it is accepted', async () => {
      const events = heartbeats(4);
      const poison = events[1]!;
      backend.answer = (batch) => (carries(batch, poison.id) ? { status: 500, body: STORE_FAILED } : undefined);
      const spool = await openSpool(events);
      const reporter = start(spool, { batchSize: 1 });
      await runUntil(() => spool.depth() === 0, 'the spool to drain');

      expect(ids(backend.received)).toEqual(ids(events).filter((id) => id !== poison.id));
      expect(deadLetters().map((l) => l.event.id)).toEqual([poison.id]);
      expect(backend.requests.map((r) => r.status)).toEqual([200, 500, 500, 500, 200, 200]);
      expect(reporter.stats()).toMatchObject({ sent: 3, deadLettered: 1, isolations: 1 });
    });

    it('never isolates on what is the backend or the path: 429, 503 with Retry-After, 401', async () => {
      const events = heartbeats(6);
      const answers: IngestAnswer[] = [
        { status: 429, body: '{}' },
        { status: 503, body: STORE_FAILED, headers: { 'retry-after': '5' } },
      ];
      let n = 0;
      backend.answer = () => answers[n++ % answers.length];
      const spool = await openSpool(events);
      const reporter = start(spool, { unauthorizedRetryMs: 1_000 });
      await runUntil(() => backend.requests.length >= 12, '12 requests');
      backend.answer = undefined;
      backend.tokenValid = false;
      await runUntil(() => backend.requests.length >= 18, '6 more requests');

      expect(backend.requests.every((r) => r.ids.length === 6)).toBe(true);
      expect(reporter.stats()).toMatchObject({ isolations: 0, isolating: false, deadLettered: 0 });
    });
  });
});
