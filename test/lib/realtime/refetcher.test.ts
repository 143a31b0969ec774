import { describe, expect, it } from 'vitest';
import { createRefetcher } from '../../../lib/realtime/refetcher';
import { fakeClock } from '../../helpers/fake-clock';

/** A load() the test resolves or rejects by hand, one deferred per call. */
function manualLoads<T>() {
  const calls: { signal: AbortSignal; resolve(v: T): void; reject(e: unknown): void }[] = [];
  const load = (signal: AbortSignal) =>
    new Promise<T>((resolve, reject) => {
      calls.push({ signal, resolve, reject });
    });
  return { calls, load };
}

const tick = () => new Promise((r) => setTimeout(r, 0));

describe('createRefetcher', () => {
  it('fetches at once, then collapses requests inside the interval into one trailing fetch', async () => {
    const { clock, advance } = fakeClock();
    const { calls, load } = manualLoads<number>();
    const seen: number[] = [];
    const r = createRefetcher({ load, onData: (d) => seen.push(d), onError: (e) => expect.fail(e.message) }, 300, clock);
    r.request();
    expect(calls).toHaveLength(1);
    calls[0]!.resolve(1);
    await tick();
    for (let i = 0; i < 10; i++) r.request();
    expect(calls).toHaveLength(1);
    advance(300);
    expect(calls).toHaveLength(2);
    calls[1]!.resolve(2);
    await tick();
    expect(seen).toEqual([1, 2]);
  });

  it('runs once more after a fetch that a request arrived during, and only once', async () => {
    const { clock, advance } = fakeClock();
    const { calls, load } = manualLoads<number>();
    const r = createRefetcher({ load, onData: () => {}, onError: () => {} }, 100, clock);
    r.request();
    advance(100);
    r.request();
    advance(100);
    r.request();
    // Still the first fetch: both later requests only marked "again".
    expect(calls).toHaveLength(1);
    calls[0]!.resolve(1);
    await tick();
    expect(calls).toHaveLength(2);
    calls[1]!.resolve(2);
    await tick();
    expect(calls).toHaveLength(2);
  });

  it('reports a failure, keeps going, and tells start and settle around each fetch', async () => {
    const { clock, advance } = fakeClock();
    const { calls, load } = manualLoads<number>();
    const log: string[] = [];
    const r = createRefetcher(
      { load, onStart: () => log.push('start'), onData: (d) => log.push(`data ${d}`), onError: (e) => log.push(`error ${e.message}`), onSettled: () => log.push('settled') },
      100,
      clock,
    );
    r.request();
    calls[0]!.reject(new Error('GET /x answered 502'));
    await tick();
    advance(100);
    r.request();
    calls[1]!.resolve(7);
    await tick();
    expect(log).toEqual(['start', 'error GET /x answered 502', 'settled', 'start', 'data 7', 'settled']);
  });

  it('aborts the fetch in flight on close and calls nothing afterwards', async () => {
    const { clock, advance } = fakeClock();
    const { calls, load } = manualLoads<number>();
    const log: string[] = [];
    const r = createRefetcher({ load, onData: () => log.push('data'), onError: () => log.push('error'), onSettled: () => log.push('settled') }, 100, clock);
    r.request();
    r.request();
    r.close();
    expect(calls[0]!.signal.aborted).toBe(true);
    calls[0]!.reject(new DOMException('aborted', 'AbortError'));
    await tick();
    advance(1000);
    r.request();
    expect(calls).toHaveLength(1);
    expect(log).toEqual([]);
  });

  it('refresh() fetches at once outside the throttle; the next push is not held back by it', async () => {
    const { clock, advance } = fakeClock();
    advance(500);
    const { calls, load } = manualLoads<number>();
    const r = createRefetcher({ load, onData: () => {}, onError: () => {} }, 1000, clock, { aligned: true });
    r.refresh();
    expect(calls).toHaveLength(1);
    calls[0]!.resolve(1);
    await tick();
    // The slot had no throttled run yet: the first push after the catch-up runs at once.
    r.request();
    expect(calls).toHaveLength(2);
    calls[1]!.resolve(2);
    await tick();
    r.request();
    expect(calls).toHaveLength(2);
    advance(500);
    expect(calls).toHaveLength(3);
  });
});
