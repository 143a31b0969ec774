/**
 * The reporter against a real HTTP backend on a loopback address of its own that the test
 * controls (test/helpers/ingest-backend.ts): it decodes gzip, checks the bearer token,
 * validates with the real ingest schema, dedupes by id like the real one, and can fail, hang,
 * refuse or disappear on demand. Plus nextDelay's bounds.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { nextDelay } from '../../agent/backoff';
import { DEAD_LETTER_FILE, startReporter, type Reporter, type ReporterOptions, type Timers } from '../../agent/reporter';
import { Spool } from '../../agent/spool';
import type { IngestEvent } from '../../lib/contracts/ingest';
import { ended, heartbeat, rtt } from '../helpers/events';
import { fakeClock } from '../helpers/fake-clock';
import { IngestBackend } from '../helpers/ingest-backend';
import { capturedLog } from '../helpers/log-capture';

const TOKEN = `dsp_7_${'s3cr3t-'.repeat(6)}x`;

async function until(condition: () => boolean, what: string, timeoutMs = 20_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

const ids = (events: IngestEvent[]) => events.map((e) => e.id);
const heartbeats = (n: number) => Array.from({ length: n }, () => heartbeat());

describe('nextDelay (full jitter)', () => {
  const b = { baseMs: 10, capMs: 100 };

  it('scales random() by min(cap, base * 2^attempt)', () => {
    expect(nextDelay(0, b, () => 0.5)).toBe(5);
    expect(nextDelay(3, b, () => 0.5)).toBe(40);
    expect(nextDelay(4, b, () => 0.5)).toBe(50);
    expect(nextDelay(30, b, () => 0.5)).toBe(50);
    expect(nextDelay(5, b, () => 0)).toBe(0);
  });

  it('stays finite and within the cap for any attempt, with the default random', () => {
    for (let attempt = 0; attempt < 2_000; attempt += 7) {
      const d = nextDelay(attempt, b);
      expect(d).toBeGreaterThanOrEqual(0);
      expect(d).toBeLessThan(Math.min(100, 10 * 2 ** attempt));
    }
    expect(nextDelay(5_000, { baseMs: 0, capMs: 100 }, () => 0.9)).toBe(0);
    expect(nextDelay(5_000, { baseMs: 10, capMs: 100 }, () => 0.9)).toBe(90);
  });

  it('throws RangeError on a caller mistake', () => {
    expect(() => nextDelay(-1, b)).toThrow(RangeError);
    expect(() => nextDelay(1.5, b)).toThrow(RangeError);
    expect(() => nextDelay(0, { baseMs: -1, capMs: 1 })).toThrow(RangeError);
    expect(() => nextDelay(0, { baseMs: 1, capMs: Infinity })).toThrow(RangeError);
  });
});

describe('reporter', () => {
  let dir: string;
  let backend: IngestBackend;
  let logged: ReturnType<typeof capturedLog>;
  const spools: Spool[] = [];
  const reporters: Reporter[] = [];

  async function openSpool(): Promise<Spool> {
    const spool = await Spool.open(dir, { maxBytes: 64 << 20, log: logged.log });
    spools.push(spool);
    return spool;
  }

  function start(spool: Spool, options: Partial<ReporterOptions> = {}): Reporter {
    const reporter = startReporter({
      spool,
      backendUrl: backend.url,
      token: TOKEN,
      backoff: { baseMs: 10, capMs: 100 },
      log: logged.log,
      idlePollMs: 60_000,
      ...options,
    });
    reporters.push(reporter);
    return reporter;
  }

  const deadLetters = (): { reason: string; event: IngestEvent }[] => {
    try {
      return readFileSync(path.join(dir, DEAD_LETTER_FILE), 'utf8').trim().split('\n').map((l) => JSON.parse(l));
    } catch {
      return [];
    }
  };

  beforeEach(async () => {
    dir = mkdtempSync(path.join(tmpdir(), 'dropscope-reporter-'));
    logged = capturedLog();
    backend = new IngestBackend({ token: TOKEN });
    await backend.listen();
  });
  afterEach(async () => {
    await Promise.all(reporters.splice(0).map((r) => r.stop()));
    await Promise.all(spools.splice(0).map((s) => s.close()));
    await backend.close();
    rmSync(dir, { recursive: true, force: true });
    // The token never reaches a log line, whatever happened.
    expect(logged.text.join('')).not.toContain(TOKEN);
  });

  it('delivers every event exactly once, in order, gzipped, and wakes on append when idle', async () => {
    const spool = await openSpool();
    const events = heartbeats(23);
    await spool.append(events.slice(0, 10));
    await spool.append(events.slice(10));
    const reporter = start(spool, { batchSize: 5 });
    await reporter.flush();

    expect(ids(backend.received)).toEqual(ids(events));
    expect(backend.duplicates).toBe(0);
    expect(spool.depth()).toBe(0);
    expect(backend.requests.every((r) => r.status === 200 && r.encoding === 'gzip' && r.events <= 5)).toBe(true);
    expect(reporter.stats()).toMatchObject({ sent: 23, failures: 0, deadLettered: 0 });
    expect(reporter.stats().lastSuccessAt).toBeInstanceOf(Date);

    // No flush and a 60 s idle poll: only the append notification can deliver this quickly.
    const later = heartbeat();
    await spool.append([later]);
    await until(() => backend.received.length === 24, 'the appended event');
    expect(backend.received.at(-1)?.id).toBe(later.id);
  });

  it('survives the backend being down, then failing, then back: nothing lost', async () => {
    await backend.close();
    const spool = await openSpool();
    const events = heartbeats(30);
    await spool.append(events);
    const reporter = start(spool, { batchSize: 7 });

    await until(() => reporter.stats().failures >= 3, 'retries against a closed port');
    expect(reporter.stats().lastError).toMatch(/ECONNREFUSED/);
    expect(spool.depth()).toBe(30);

    let fivehundreds = 0;
    backend.answer = () => (fivehundreds++ < 3 ? { status: 500, body: { error: { code: 'INGEST_ERR_STORE', message: 'db down' } } } : undefined);
    await backend.listen();
    await until(() => spool.depth() === 0, 'the spool to drain');

    expect(fivehundreds).toBeGreaterThan(3);
    expect(ids(backend.received)).toEqual(ids(events));
    expect(reporter.stats().sent).toBe(30);
    expect(logged.lines.some((l) => l.msg === 'backend reachable again')).toBe(true);
  });

  it('keeps retrying through 401 (at the unauthorized pace) and 429, logging no token', async () => {
    const spool = await openSpool();
    const events = heartbeats(5);
    await spool.append(events);
    let n = 0;
    backend.answer = () => {
      n++;
      if (n <= 2) return { status: 401, body: { error: { code: 'INGEST_ERR_UNAUTHORIZED', message: 'unknown or revoked probe token' } } };
      if (n <= 3) return { status: 429, body: {} };
      return undefined;
    };
    // A 401 pauses sending for unauthorizedRetryMs (test/agent/reporter-refusals.test.ts): short here.
    start(spool, { unauthorizedRetryMs: 20 });
    await until(() => spool.depth() === 0, 'delivery after 401s');
    expect(ids(backend.received)).toEqual(ids(events));
    const errors = logged.lines.filter((l) => l.module === 'reporter' && l.level === 50);
    expect(errors.some((l) => /HTTP 401 INGEST_ERR_UNAUTHORIZED/.test(l.reason))).toBe(true);
  });

  it('loses nothing across a probe restart, even a batch stored whose answer never came back', async () => {
    const events = heartbeats(40);
    let spool = await openSpool();
    await spool.append(events);
    let batches = 0;
    // Batches 1-2 are stored, batch 3 is stored but unanswered, then the backend fails.
    backend.answer = () => {
      batches++;
      if (batches === 3) return { status: 200, hang: true };
      if (batches > 3) return { status: 503, body: {} };
      return undefined;
    };
    let reporter = start(spool, { batchSize: 8, requestTimeoutMs: 60_000 });
    await until(() => batches >= 3, 'the hanging batch');

    await reporter.stop();
    await spool.close();
    expect(spool.depth()).toBe(40 - 16);

    backend.answer = undefined;
    spool = await openSpool();
    expect(spool.depth()).toBe(40 - 16);
    reporter = start(spool, { batchSize: 8 });
    await reporter.flush();

    expect(spool.depth()).toBe(0);
    expect(new Set(ids(backend.received))).toEqual(new Set(ids(events)));
    expect(backend.stored.size).toBe(40);
    // The unanswered batch was sent again: the backend's dedupe makes that harmless.
    expect(backend.duplicates).toBe(8);
  });

  it('halves the batch on 413 until it fits, and keeps the smaller size', async () => {
    const spool = await openSpool();
    const events = heartbeats(40);
    const oneEvent = JSON.stringify(events[0]).length;
    backend.maxBodyBytes = oneEvent * 9;
    await spool.append(events);
    const reporter = start(spool, { batchSize: 40 });
    await reporter.flush();

    expect(ids(backend.received)).toEqual(ids(events));
    const statuses = backend.requests.map((r) => r.status);
    expect(statuses.filter((s) => s === 413).length).toBeGreaterThan(0);
    // 40 -> 20 -> 10 -> 5: then no more refusals.
    expect(statuses.lastIndexOf(413)).toBeLessThan(statuses.indexOf(200));
    expect(backend.requests.filter((r) => r.status === 200).every((r) => r.rawBytes <= backend.maxBodyBytes)).toBe(true);
    expect(reporter.stats()).toMatchObject({ sent: 40, deadLettered: 0 });
  });

  it('dead-letters a single event that is too large even alone', async () => {
    const spool = await openSpool();
    const huge = rtt('s-hugehuge', Array.from({ length: 400 }, (_, i) => i));
    const events = [heartbeat(), huge, heartbeat()];
    backend.maxBodyBytes = 4_000;
    await spool.append(events);
    const reporter = start(spool);
    await reporter.flush();

    expect(ids(backend.received)).toEqual([events[0]!.id, events[2]!.id]);
    expect(deadLetters().map((d) => d.event.id)).toEqual([huge.id]);
    expect(deadLetters()[0]!.reason).toMatch(/413/);
    expect(reporter.stats().deadLettered).toBe(1);
  });

  it('moves exactly the events a 400 names to the dead-letter file and delivers the rest', async () => {
    const spool = await openSpool();
    const events: IngestEvent[] = heartbeats(10);
    const bad = ended('s-badbadbad', -1);
    events.splice(3, 0, bad);
    await spool.append(events);
    const reporter = start(spool);
    await reporter.flush();

    const good = events.filter((e) => e !== bad);
    expect(ids(backend.received)).toEqual(ids(good));
    expect(spool.depth()).toBe(0);
    const letters = deadLetters();
    expect(letters.map((d) => d.event)).toEqual([bad]);
    expect(letters[0]!.reason).toMatch(/durationMs/);

    const error = logged.lines.find((l) => l.module === 'reporter' && l.level === 50 && /dead-letter/.test(l.msg));
    expect(error?.events).toEqual([{ id: bad.id, type: 'session.ended', reason: expect.stringMatching(/INGEST_ERR_SCHEMA: durationMs: /) }]);
    expect(reporter.stats()).toMatchObject({ sent: 10, deadLettered: 1 });
  });

  it('bisects a 400 that names no event down to the culprit', async () => {
    const spool = await openSpool();
    const events = heartbeats(16);
    const poison = events[11]!.id;
    backend.answer = (batch) =>
      batch.some((e) => e.id === poison) ? { status: 400, body: { error: { code: 'INGEST_ERR_JSON', message: 'body is not valid JSON' } } } : undefined;
    await spool.append(events);
    const reporter = start(spool);
    await reporter.flush();

    expect(new Set(ids(backend.received))).toEqual(new Set(ids(events).filter((id) => id !== poison)));
    expect(deadLetters().map((d) => d.event.id)).toEqual([poison]);
    expect(spool.depth()).toBe(0);
    expect(reporter.stats().deadLettered).toBe(1);
  });

  it('moves the events a 409 names (sessions another probe holds) to the dead-letter file, logs it as an error, and delivers the rest', async () => {
    const spool = await openSpool();
    const events = heartbeats(12);
    const taken = new Set([events[2]!.id, events[9]!.id]);
    // What the backend answers a batch that writes another probe's sessions: nothing stored.
    backend.answer = (batch) => {
      const issues = batch.flatMap((e, i) => (taken.has(e.id) ? [{ path: `events.${i}.sessionId`, message: `event ${e.id}: session s-other belongs to another probe` }] : []));
      return issues.length ? { status: 409, body: { error: { code: 'INGEST_ERR_CONFLICT', message: 'batch rejected, nothing stored', issues } } } : undefined;
    };
    await spool.append(events);
    const reporter = start(spool, { batchSize: 5 });
    await reporter.flush();

    expect(ids(backend.received)).toEqual(ids(events).filter((id) => !taken.has(id)));
    expect(spool.depth()).toBe(0);
    const letters = deadLetters();
    expect(letters.map((d) => d.event.id)).toEqual([...taken]);
    expect(letters[0]!.reason).toMatch(/^HTTP 409 INGEST_ERR_CONFLICT: sessionId: event .* belongs to another probe$/);
    const errors = logged.lines.filter((l) => l.module === 'reporter' && l.level === 50 && /dead-letter/.test(l.msg));
    expect(errors.flatMap((l) => l.events.map((e: { id: string }) => e.id))).toEqual([...taken]);
    // Refused for good, not failed: never retried with a backoff.
    expect(reporter.stats()).toMatchObject({ sent: 10, deadLettered: 2, failures: 0 });
    expect(backend.requests.filter((r) => r.status === 409)).toHaveLength(2);
  });

  it('bisects a 409 that names no event down to the culprit, as a 400', async () => {
    const spool = await openSpool();
    const events = heartbeats(8);
    const poison = events[5]!.id;
    backend.answer = (batch) => (batch.some((e) => e.id === poison) ? { status: 409, body: { error: { code: 'INGEST_ERR_CONFLICT', message: 'conflict' } } } : undefined);
    await spool.append(events);
    const reporter = start(spool);
    await reporter.flush();
    expect(deadLetters().map((d) => d.event.id)).toEqual([poison]);
    expect(deadLetters()[0]!.reason).toMatch(/HTTP 409/);
    expect(spool.depth()).toBe(0);
  });

  it('dead-letters the events a 403 names (a target token posting what it may not); retries a 403 that names none', async () => {
    const spool = await openSpool();
    const events = heartbeats(6);
    let plain = 2;
    backend.answer = (batch) => {
      // A proxy on the way refusing: no event named, so nothing is ours to give up.
      if (plain > 0) {
        plain--;
        return { status: 403, body: { error: { code: 'PROXY', message: 'Forbidden' } } };
      }
      const issues = batch.flatMap((e, i) => (e.id === events[4]!.id ? [{ path: `events.${i}.type`, message: `event ${e.id}: a target token may post only target.session_ended, not probe.heartbeat` }] : []));
      return issues.length ? { status: 403, body: { error: { code: 'INGEST_ERR_FORBIDDEN', message: 'batch rejected, nothing stored', issues } } } : undefined;
    };
    await spool.append(events);
    start(spool);
    await until(() => spool.depth() === 0, 'delivery after 403s');
    expect(ids(backend.received)).toEqual(ids(events).filter((id) => id !== events[4]!.id));
    expect(deadLetters().map((d) => [d.event.id, d.reason])).toEqual([[events[4]!.id, expect.stringMatching(/^HTTP 403 INGEST_ERR_FORBIDDEN: type: /)]]);
    expect(backend.requests.filter((r) => r.status === 403).length).toBe(3);
  });

  it('falls back to an uncompressed body on 415', async () => {
    const spool = await openSpool();
    const events = heartbeats(3);
    backend.answer = () => (backend.requests.length === 0 ? { status: 415, body: { error: { code: 'INGEST_ERR_UNSUPPORTED_ENCODING', message: 'no gzip' } } } : undefined);
    await spool.append(events);
    await start(spool).flush();
    expect(ids(backend.received)).toEqual(ids(events));
    expect(backend.requests.map((r) => r.encoding)).toEqual(['gzip', undefined]);
  });

  it('does not take a 200 that is not an ingest answer as delivery', async () => {
    const spool = await openSpool();
    const events = heartbeats(2);
    let portal = 2;
    backend.answer = () => (portal-- > 0 ? { status: 200, body: '<html>sign in</html>' } : undefined);
    await spool.append(events);
    const reporter = start(spool);
    await until(() => spool.depth() === 0, 'delivery after the portal');
    expect(reporter.stats().failures).toBe(2);
    expect(new Set(ids(backend.received))).toEqual(new Set(ids(events)));
  });

  it('flush() resolves when the backend fails, and stop() during a long backoff returns without waiting it out', async () => {
    const spool = await openSpool();
    await spool.append(heartbeats(3));
    backend.answer = () => ({ status: 500, body: {} });
    // Timers that never fire by themselves: time does not move in this test, so whatever
    // ends a wait is flush() or stop(), never the wait elapsing.
    const waits: { ms: number; cleared: boolean }[] = [];
    const frozen = fakeClock();
    const timers: Timers = {
      setTimeout: (fn, ms) => {
        const wait = { ms, cleared: false, id: frozen.clock.setTimeout(fn, ms) };
        waits.push(wait);
        return wait;
      },
      clearTimeout: (h) => {
        const wait = h as { id: number; cleared: boolean };
        wait.cleared = true;
        frozen.clock.clearTimeout(wait.id);
      },
    };
    const reporter = start(spool, { backoff: { baseMs: 60_000, capMs: 60_000 }, random: () => 1 - Number.EPSILON, timers });
    await until(() => reporter.stats().failures >= 1, 'the first failure');
    await until(() => waits.length === 1, 'the first backoff');

    // flush() cuts the backoff short, tries once more, and gives up on the failure.
    await reporter.flush();
    expect(reporter.stats().failures).toBe(2);
    expect(reporter.stats().lastError).toMatch(/HTTP 500/);

    await until(() => waits.length === 2, 'the second backoff');
    await reporter.stop();
    // Both backoffs were the full minute, and each was cut short (cleared), not waited out.
    expect(waits.map((w) => [Math.round(w.ms / 1000), w.cleared])).toEqual([
      [60, true],
      [60, true],
    ]);
    expect(spool.depth()).toBe(3);
  });

  it('stop() aborts a request in flight', async () => {
    const spool = await openSpool();
    await spool.append(heartbeats(1));
    backend.answer = () => ({ status: 200, hang: true });
    // Far beyond the test's own timeout: stop() can only return by aborting the request.
    const reporter = start(spool, { requestTimeoutMs: 600_000 });
    await until(() => backend.requests.length === 1, 'the request');
    await reporter.stop();
    expect(spool.depth()).toBe(1);
    // Ended by the abort, not counted as a failed (timed-out) request.
    expect(reporter.stats().failures).toBe(0);
  });
});
