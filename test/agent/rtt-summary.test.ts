import { describe, expect, it } from 'vitest';
import { RTT_RELATIVE_ACCURACY, RTT_SKETCH_BINS, rttMsOf, SessionRtt } from '../../agent/rtt-summary';

describe('SessionRtt', () => {
  it('summarises a long session in fixed memory', () => {
    const b = new SessionRtt();
    for (let i = 0; i < 50_000; i++) b.add(10 + (i % 21));
    const s = b.summary()!;
    expect(s).toMatchObject({ count: 50_000, minMs: 10, maxMs: 30 });
    // The exact median of a uniform 10..30 spread is 20; the sketch is within its accuracy.
    expect(Math.abs(s.medianMs - 20)).toBeLessThanOrEqual(20 * RTT_RELATIVE_ACCURACY);
    expect(b.sketchBins()).toBeLessThanOrEqual(RTT_SKETCH_BINS);
  });

  it('keeps its size however wide the spread, and its median within the sketch accuracy', () => {
    const b = new SessionRtt();
    // 0.01 ms to 10 s: six decades.
    const values: number[] = [];
    for (let i = 0; i < 20_000; i++) values.push(0.01 * 10 ** ((((i * 7919) % 20_000) / 20_000) * 6));
    values.forEach((v) => b.add(v));
    expect(b.sketchBins()).toBeLessThanOrEqual(RTT_SKETCH_BINS);
    const sorted = [...values].sort((x, y) => x - y);
    const exact = sorted[Math.floor((sorted.length - 1) / 2)]!;
    const s = b.summary()!;
    expect(Math.abs(s.medianMs - exact) / exact).toBeLessThanOrEqual(RTT_RELATIVE_ACCURACY + 0.001);
    expect(s.count).toBe(20_000);
  });

  it('summarises nothing before the first sample', () => {
    const b = new SessionRtt();
    expect(b.summary()).toBeUndefined();
    b.add(rttMsOf(0.1234567));
    expect(b.summary()).toMatchObject({ count: 1, minMs: 0.123, maxMs: 0.123, medianMs: 0.123 });
  });

  it('keeps the median of a steady session next to rare spikes a hundred thousand times larger', () => {
    const b = new SessionRtt();
    for (let i = 0; i < 1000; i++) b.add(i % 100 === 0 ? 5000 : 0.05);
    expect(b.summary()).toMatchObject({ count: 1000, minMs: 0.05, maxMs: 5000 });
    expect(Math.abs(b.summary()!.medianMs - 0.05) / 0.05).toBeLessThanOrEqual(RTT_RELATIVE_ACCURACY);
  });
});

describe('rttMsOf', () => {
  it('rounds to the microsecond and never goes below zero', () => {
    expect(rttMsOf(1.23456)).toBe(1.235);
    expect(rttMsOf(-0.2)).toBe(0);
    expect(rttMsOf(0)).toBe(0);
  });
});
