import { describe, expect, it } from 'vitest';
import { RttBuffer } from '../../agent/rtt-buffer';
import type { RttSamples } from '../../lib/contracts/ingest';
import { path } from '../helpers/events';

describe('RttBuffer', () => {
  it('ships samples at most every maxSamples and summarises a long session in bounded memory', () => {
    const shipped: RttSamples[] = [];
    const b = new RttBuffer('s-rttbuf01', path(), (e) => shipped.push(e), { maxSamples: 100, maxAgeMs: 60_000 });
    for (let i = 0; i < 50_000; i++) b.add(new Date(0), 10 + (i % 21), i);
    b.flush();
    expect(shipped.reduce((n, e) => n + e.samples.length, 0)).toBe(50_000);
    expect(Math.max(...shipped.map((e) => e.samples.length))).toBe(100);
    const s = b.summary()!;
    expect(s).toMatchObject({ count: 50_000, minMs: 10, maxMs: 30 });
    // The reservoir's median of a uniform 10..30 spread: 20, give or take a little.
    expect(s.medianMs).toBeGreaterThanOrEqual(18);
    expect(s.medianMs).toBeLessThanOrEqual(22);
    expect((b as unknown as { reservoir: number[] }).reservoir.length).toBe(1024);
  });
});
