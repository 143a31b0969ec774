import { describe, expect, it } from 'vitest';
import { createAnswerMemo } from '../../../lib/realtime/answer-memo';

/** A computation the test settles by hand. */
function deferred<T>() {
  let resolve!: (v: T) => void;
  let reject!: (e: unknown) => void;
  const promise = new Promise<T>((res, rej) => {
    resolve = res;
    reject = rej;
  });
  return { promise, resolve, reject };
}

function memoOn(options: { maxEntries?: number; maxBytes?: number } = {}) {
  let t = 0;
  const memo = createAnswerMemo<string>({ maxEntries: options.maxEntries ?? 10, maxBytes: options.maxBytes ?? 1000, now: () => t }, (v) => v.length);
  let computations = 0;
  const compute = (value: string) => () => {
    computations++;
    return Promise.resolve(value);
  };
  return { memo, compute, computations: () => computations, advance: (ms: number) => (t += ms) };
}

describe('createAnswerMemo', () => {
  it('serves a kept answer while it is younger than the age asked for, then computes again', async () => {
    const { memo, compute, computations, advance } = memoOn();
    expect(await memo.get('q@w1', 2000, compute('a'))).toEqual({ value: 'a', source: 'computed' });
    advance(1999);
    expect(await memo.get('q@w1', 2000, compute('b'))).toEqual({ value: 'a', source: 'memo' });
    advance(1);
    expect(await memo.get('q@w1', 2000, compute('c'))).toEqual({ value: 'c', source: 'computed' });
    expect(computations()).toBe(2);
  });

  it('keys are exact: another watermark or query is another answer', async () => {
    const { memo, compute, computations } = memoOn();
    await memo.get('q@w1', 2000, compute('a'));
    expect((await memo.get('q@w2', 2000, compute('b'))).value).toBe('b');
    expect((await memo.get('r@w1', 2000, compute('c'))).value).toBe('c');
    expect(computations()).toBe(3);
  });

  it('shares one computation in flight among every concurrent asker (single-flight)', async () => {
    const { memo } = memoOn();
    const d = deferred<string>();
    let computations = 0;
    const compute = () => {
      computations++;
      return d.promise;
    };
    const askers = Array.from({ length: 50 }, () => memo.get('q@w1', 2000, compute));
    expect(computations).toBe(1);
    expect(memo.size().inFlight).toBe(1);
    d.resolve('answer');
    const answers = await Promise.all(askers);
    expect(answers.map((a) => a.value)).toEqual(Array(50).fill('answer'));
    expect(answers.filter((a) => a.source === 'computed')).toHaveLength(1);
    expect(answers.filter((a) => a.source === 'joined')).toHaveLength(49);
    expect(memo.size()).toMatchObject({ entries: 1, inFlight: 0 });
  });

  it('hands a failure to everyone who waited for it and keeps nothing', async () => {
    const { memo, compute, computations } = memoOn();
    const d = deferred<string>();
    const first = memo.get('q@w1', 2000, () => d.promise);
    const second = memo.get('q@w1', 2000, () => d.promise);
    d.reject(new Error('database unreachable'));
    await expect(first).rejects.toThrow('database unreachable');
    await expect(second).rejects.toThrow('database unreachable');
    expect(memo.size()).toEqual({ entries: 0, bytes: 0, inFlight: 0 });
    expect((await memo.get('q@w1', 2000, compute('a'))).source).toBe('computed');
    expect(computations()).toBe(1);
  });

  it('does not keep an answer its caller says not to (a 503), but still shares it in flight', async () => {
    const { memo } = memoOn();
    const d = deferred<string>();
    const keep = (v: string) => v !== 'unavailable';
    const both = Promise.all([memo.get('q@w1', 2000, () => d.promise, keep), memo.get('q@w1', 2000, () => d.promise, keep)]);
    d.resolve('unavailable');
    expect((await both).map((a) => a.source)).toEqual(['computed', 'joined']);
    expect(memo.size().entries).toBe(0);
  });

  it('ages an answer from the start of its computation', async () => {
    const { memo, advance } = memoOn();
    const d = deferred<string>();
    const asked = memo.get('q@w1', 2000, () => d.promise);
    advance(1500);
    d.resolve('slow');
    await asked;
    advance(500);
    expect((await memo.get('q@w1', 2000, () => Promise.resolve('fresh'))).value).toBe('fresh');
  });

  it('is bounded by entries, evicting the least recently used', async () => {
    const { memo, compute } = memoOn({ maxEntries: 3 });
    for (const k of ['a', 'b', 'c']) await memo.get(k, 10_000, compute(k));
    await memo.get('a', 10_000, compute('x')); // a is now the most recently used
    await memo.get('d', 10_000, compute('d'));
    expect(memo.size().entries).toBe(3);
    expect((await memo.get('a', 10_000, compute('x'))).source).toBe('memo');
    expect((await memo.get('b', 10_000, compute('b2'))).source).toBe('computed');
  });

  it('is bounded by bytes; an answer larger than the bound is served, not kept', async () => {
    const { memo, compute } = memoOn({ maxBytes: 10 });
    await memo.get('a', 10_000, compute('aaaa'));
    await memo.get('b', 10_000, compute('bbbb'));
    await memo.get('c', 10_000, compute('cccc'));
    expect(memo.size()).toMatchObject({ entries: 2, bytes: 8 });
    expect((await memo.get('a', 10_000, compute('aaaa'))).source).toBe('computed');
    expect((await memo.get('huge', 10_000, compute('x'.repeat(11)))).value).toHaveLength(11);
    expect(memo.size().bytes).toBeLessThanOrEqual(10);
  });

  it('drops expired answers when it stores a new one', async () => {
    const { memo, compute, advance } = memoOn();
    await memo.get('old', 1000, compute('o'));
    advance(1000);
    await memo.get('new', 1000, compute('n'));
    expect(memo.size()).toMatchObject({ entries: 1, bytes: 1 });
  });

  it('refuses bounds that cannot hold anything', () => {
    expect(() => createAnswerMemo({ maxEntries: 0, maxBytes: 1, now: () => 0 }, () => 1)).toThrow(RangeError);
    expect(() => createAnswerMemo({ maxEntries: 1, maxBytes: 0, now: () => 0 }, () => 1)).toThrow(RangeError);
  });
});
