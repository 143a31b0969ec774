import { describe, expect, it } from 'vitest';
import { MemberCache } from '../../../lib/recent/member-cache';

describe('MemberCache', () => {
  it('keeps rows read since the last change, and forgets what ingest writes', () => {
    const cache = new MemberCache<string>(3);
    cache.keep(cache.generation, [['a', 'A'], ['b', 'B']]);
    expect(cache.get('a')).toBe('A');
    cache.forget(['a']);
    expect(cache.get('a')).toBeUndefined();
    expect(cache.get('b')).toBe('B');
  });

  it('keeps nothing read before a change: the read may hold the row as it was', () => {
    const cache = new MemberCache<string>(3);
    const generation = cache.generation;
    cache.forget(['x']);
    cache.keep(generation, [['x', 'stale']]);
    expect(cache.get('x')).toBeUndefined();
  });

  it('evicts the least recently used beyond its capacity', () => {
    const cache = new MemberCache<string>(2);
    cache.keep(cache.generation, [['a', 'A'], ['b', 'B']]);
    cache.get('a');
    cache.keep(cache.generation, [['c', 'C']]);
    expect(cache.get('b')).toBeUndefined();
    expect(cache.get('a')).toBe('A');
    expect(cache.get('c')).toBe('C');
  });
});
