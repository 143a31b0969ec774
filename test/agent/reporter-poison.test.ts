/**
 * Poison isolation as properties, fast: the reporter against a fake backend at its injected
 * `fetch` seam (the real-HTTP cases are in reporter-refusals.test.ts), an in-memory spool and
 * virtual time. Plus which answers may start an isolation at all.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { gunzipSync } from 'node:zlib';
import fc from 'fast-check';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { classifyAnswer, classifyFailure, type Answer } from '../../agent/report/answer';
import { DEAD_LETTER_FILE, startReporter, type Reporter, type ReporterOptions, type Timers } from '../../agent/reporter';
import type { SpoolCursor } from '../../agent/spool';
import type { IngestEvent } from '../../lib/contracts/ingest';
import { createLogger } from '../../lib/log';
import { heartbeat } from '../helpers/events';

const STORE_FAILED = JSON.stringify({ error: { code: 'INGEST_ERR_STORE', message: 'the batch could not be stored; nothing was kept, retry later' } });

/** The part of Spool the reporter uses, in memory. */
class MemorySpool {
  readonly events: IngestEvent[] = [];
  head = 0;
  readonly #listeners = new Set<() => void>();
  constructor(readonly dir: string) {}

  async append(events: IngestEvent[]): Promise<void> {
    this.events.push(...events);
    for (const l of this.#listeners) l();
  }

  async peek(max: number, options: { maxBytes?: number } = {}): Promise<{ events: IngestEvent[]; cursor: SpoolCursor }> {
    const out: IngestEvent[] = [];
    let bytes = 0;
    for (let i = this.head; i < this.events.length && out.length < max; i++) {
      const line = JSON.stringify(this.events[i]).length + 1;
      if (out.length > 0 && bytes + line > (options.maxBytes ?? Infinity)) break;
      out.push(this.events[i]!);
      bytes += line;
    }
    return { events: out, cursor: { spool: 0, segment: 0, offset: 0, index: this.head + out.length } };
  }

  async ack(cursor: SpoolCursor): Promise<void> {
    this.head = Math.max(this.head, cursor.index);
  }

  depth(): number {
    return this.events.length - this.head;
  }

  onAppend(listener: () => void): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }
}

/** A backend that answers 500 to any batch holding a bad id, 200 otherwise. */
function fakeBackend(bad: ReadonlySet<string>) {
  const requests: { ids: string[]; status: number }[] = [];
  const stored = new Set<string>();
  const fetch = (async (_url: string | URL | Request, init?: RequestInit) => {
    const ids = (JSON.parse(gunzipSync(init!.body as Uint8Array).toString('utf8')) as { events: IngestEvent[] }).events.map((e) => e.id);
    const refused = ids.some((id) => bad.has(id));
    requests.push({ ids, status: refused ? 500 : 200 });
    if (refused) return new Response(STORE_FAILED, { status: 500 });
    const fresh = ids.filter((id) => !stored.has(id));
    for (const id of fresh) stored.add(id);
    return new Response(JSON.stringify({ accepted: fresh.length, duplicates: ids.length - fresh.length }), { status: 200 });
  }) as typeof globalThis.fetch;
  return { fetch, requests, stored };
}

/** Timers that fire only when the test elapses them; `asleep` tells when the reporter waits. */
function virtualTimers() {
  const pending = new Set<{ fn: () => void }>();
  const timers: Timers = {
    setTimeout(fn) {
      const h = { fn };
      pending.add(h);
      return h;
    },
    clearTimeout(h) {
      pending.delete(h as { fn: () => void });
    },
  };
  async function asleep(): Promise<void> {
    // Bounded in time, generously: the spool's disk writes may be slow on a loaded machine.
    const deadline = Date.now() + 20_000;
    while (Date.now() < deadline) {
      if (pending.size > 0) return;
      await new Promise((r) => setTimeout(r, 1));
    }
    throw new Error('the reporter never went to sleep');
  }
  return {
    timers,
    /** Elapse waits until `done()` holds while the reporter waits; false after `maxWaits`. */
    async runUntil(done: () => boolean, maxWaits: number): Promise<boolean> {
      for (let i = 0; i < maxWaits; i++) {
        await asleep();
        if (done()) return true;
        const [next] = pending;
        pending.delete(next!);
        next!.fn();
      }
      return false;
    },
  };
}

describe('poison isolation (properties)', () => {
  let dir: string;
  const reporters: Reporter[] = [];
  const log = createLogger({ level: 'silent' });

  beforeEach(() => {
    dir = mkdtempSync(path.join(tmpdir(), 'dropscope-reporter-poison-'));
  });
  afterEach(async () => {
    await Promise.all(reporters.splice(0).map((r) => r.stop()));
    rmSync(dir, { recursive: true, force: true });
  });

  async function run(events: IngestEvent[], bad: ReadonlySet<string>, batchSize: number, options: Partial<ReporterOptions> = {}) {
    const runDir = mkdtempSync(path.join(dir, 'run-'));
    const spool = new MemorySpool(runDir);
    await spool.append(events);
    const backend = fakeBackend(bad);
    const vt = virtualTimers();
    const reporter = startReporter({ spool, backendUrl: 'http://backend.invalid', token: 't', backoff: { baseMs: 1_000, capMs: 60_000 }, log, batchSize, idlePollMs: 3_600_000, fetch: backend.fetch, timers: vt.timers, random: () => 0.5, ...options });
    reporters.push(reporter);
    const deadLetters = () => {
      try {
        return readFileSync(path.join(runDir, DEAD_LETTER_FILE), 'utf8').trim().split('\n').map((l) => (JSON.parse(l) as { event: IngestEvent }).event.id);
      } catch {
        return [];
      }
    };
    return { spool, backend, vt, reporter, deadLetters };
  }

  it('delivers every good event and dead-letters exactly the bad ones, in a bounded number of requests', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.integer({ min: 1, max: 12 }).chain((batchSize) =>
          fc.record({
            batchSize: fc.constant(batchSize),
            // The spool's last event is good and within the reach of the `last` proof probe
            // (4 batches behind the head): beyond that, a run of bad events looks like an outage.
            bad: fc.array(fc.boolean(), { minLength: 1, maxLength: Math.min(40, 4 * batchSize) }),
          }),
        ),
        async ({ batchSize, bad: flags }) => {
          const events = [...flags, false].map(() => heartbeat());
          const bad = new Set(events.filter((_, i) => flags[i]).map((e) => e.id));
          const { spool, backend, vt, reporter, deadLetters } = await run(events, bad, batchSize);
          const drained = await vt.runUntil(() => spool.depth() === 0, 1_000);

          expect(drained).toBe(true);
          expect(backend.stored).toEqual(new Set(events.filter((e) => !bad.has(e.id)).map((e) => e.id)));
          expect(deadLetters()).toEqual(events.filter((e) => bad.has(e.id)).map((e) => e.id));
          expect(reporter.stats()).toMatchObject({ deadLettered: bad.size, isolating: false });
          // Per bad event: 3 refusals, and at most 2 per halving of a batch, for the isolation
          // and for the proof, plus the last probe; per batch: one send.
          const halvings = Math.ceil(Math.log2(batchSize + 1));
          expect(backend.requests.length).toBeLessThanOrEqual(Math.ceil(events.length / batchSize) + bad.size * (3 + 4 * halvings + 2));
        },
      ),
      { numRuns: 60 },
    );
  });

  it('dead-letters nothing when every event is refused (an outage, or nothing to prove the backend works with)', async () => {
    await fc.assert(
      fc.asyncProperty(fc.integer({ min: 1, max: 12 }), fc.integer({ min: 1, max: 30 }), async (batchSize, n) => {
        const events = Array.from({ length: n }, () => heartbeat());
        const { spool, backend, vt, reporter, deadLetters } = await run(events, new Set(events.map((e) => e.id)), batchSize);
        await vt.runUntil(() => backend.requests.length >= 60, 200);

        expect(backend.requests.length).toBeGreaterThanOrEqual(60);
        expect(deadLetters()).toEqual([]);
        expect(spool.depth()).toBe(n);
        expect(reporter.stats()).toMatchObject({ deadLettered: 0, sent: 0 });
        expect(reporter.stats().isolations).toBeGreaterThanOrEqual(1);
      }),
      { numRuns: 20 },
    );
  });
});

describe('which answers may be a poison event', () => {
  const events = [heartbeat(), heartbeat()];
  const headers = (h: Record<string, string> = {}) => new Headers(h);
  const answer = (status: number, body = STORE_FAILED, h: Record<string, string> = {}) => classifyAnswer({ status, body, headers: headers(h) }, events);

  it.each([
    [500, {}],
    [502, {}],
    [503, {}],
    [504, {}],
    [404, {}],
    [418, {}],
  ])('HTTP %i without Retry-After: a refusal that counts', (status, h) => {
    const a = answer(status, STORE_FAILED, h);
    expect(a).toMatchObject({ kind: 'retry', status, refusal: { status, signature: `HTTP ${status} INGEST_ERR_STORE: the batch could not be stored; nothing was kept, retry later` } });
  });

  it.each([
    ['429', answer(429, '{}')],
    ['429 with Retry-After', answer(429, '{}', { 'retry-after': '3' })],
    ['503 with Retry-After', answer(503, STORE_FAILED, { 'retry-after': '5' })],
    ['403 naming no event', answer(403, JSON.stringify({ error: { code: 'PROXY', message: 'Forbidden' } }))],
    ['a 200 that is not an ingest answer', answer(200, '<html>sign in</html>')],
    ['a network error', classifyFailure(Object.assign(new TypeError('fetch failed'), { cause: { code: 'ECONNRESET' } }), 1000)],
  ])('%s: not the data, never isolated', (_what, a) => {
    expect(a.kind).toBe('retry');
    expect(a).not.toHaveProperty('refusal');
  });

  it('401 is its own answer', () => {
    expect(answer(401, JSON.stringify({ error: { code: 'INGEST_ERR_UNAUTHORIZED', message: 'unknown or revoked probe token' } }))).toEqual({
      kind: 'unauthorized',
      reason: 'HTTP 401 INGEST_ERR_UNAUTHORIZED: unknown or revoked probe token',
    });
  });

  it('without a problem body, the signature is a bounded, whitespace-collapsed excerpt of the body', () => {
    const refusal = (a: Answer) => (a.kind === 'retry' ? a.refusal : undefined);
    const html = refusal(answer(500, `<html>\n\n  ${'x'.repeat(5_000)}`));
    expect(html?.excerpt).toBe(`<html> ${'x'.repeat(993)}…`);
    expect(html?.signature).toBe(`HTTP 500 body: ${html?.excerpt}`);
    // The same status and problem code and message, however the JSON is laid out: the same refusal.
    expect(refusal(answer(500, STORE_FAILED.replace('{', '{\n  ')))?.signature).toBe(refusal(answer(500))?.signature);
    expect(refusal(answer(502))?.signature).not.toBe(refusal(answer(500))?.signature);
  });
});
