import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { jsonOf } from '../../agent/json-line';
import { isoInstant, RTT_RELATIVE_ACCURACY, RTT_SKETCH_BINS, RttBuffer } from '../../agent/rtt-buffer';
import type { RttSamples } from '../../lib/contracts/ingest';
import { path } from '../helpers/events';

describe('RttBuffer', () => {
  it('ships every sample at most maxSamples at a time and summarises a long session in fixed memory', () => {
    const shipped: RttSamples[] = [];
    const b = new RttBuffer('s-rttbuf01', path(), (e) => shipped.push(e), { maxSamples: 100, maxAgeMs: 60_000 });
    for (let i = 0; i < 50_000; i++) b.add(i, 10 + (i % 21), i);
    b.flush();
    expect(shipped.reduce((n, e) => n + e.samples.length, 0)).toBe(50_000);
    expect(Math.max(...shipped.map((e) => e.samples.length))).toBe(100);
    // Each sample keeps its own time and value.
    expect(shipped[1]!.samples[0]).toEqual({ at: new Date(100).toISOString(), rttMs: 10 + (100 % 21) });
    const s = b.summary()!;
    expect(s).toMatchObject({ count: 50_000, minMs: 10, maxMs: 30 });
    // The exact median of a uniform 10..30 spread is 20; the sketch is within its accuracy.
    expect(Math.abs(s.medianMs - 20)).toBeLessThanOrEqual(20 * RTT_RELATIVE_ACCURACY);
    expect(b.sketchBins()).toBeLessThanOrEqual(RTT_SKETCH_BINS);
  });

  it('keeps its size however wide the spread, and its median within the sketch accuracy', () => {
    const b = new RttBuffer('s-rttbuf02', path(), () => {});
    // 0.01 ms to 10 s: six decades, within what 512 bins of 2 % cover.
    const values: number[] = [];
    for (let i = 0; i < 20_000; i++) values.push(0.01 * 10 ** ((i * 7919) % 20_000 / 20_000 * 6));
    values.forEach((v, i) => b.add(i, v, 0));
    expect(b.sketchBins()).toBeLessThanOrEqual(RTT_SKETCH_BINS);
    const sorted = [...values].sort((x, y) => x - y);
    const exact = sorted[Math.floor((sorted.length - 1) / 2)]!;
    const s = b.summary()!;
    expect(Math.abs(s.medianMs - exact) / exact).toBeLessThanOrEqual(RTT_RELATIVE_ACCURACY + 0.001);
    expect(s.count).toBe(20_000);
  });

  it('summarises nothing before the first sample, and rounds to microseconds', () => {
    const b = new RttBuffer('s-rttbuf03', path(), () => {});
    expect(b.summary()).toBeUndefined();
    b.add(0, 0.1234567, 0);
    expect(b.summary()).toMatchObject({ count: 1, minMs: 0.123, maxMs: 0.123, medianMs: 0.123 });
  });
});

describe('RttBuffer summary with spikes', () => {
  it('keeps the median of a steady session exact next to rare spikes a hundred thousand times larger', () => {
    const b = new RttBuffer('s-rttbuf04', path(), () => {});
    for (let i = 0; i < 1000; i++) b.add(i, i % 100 === 0 ? 5000 : 0.05, 0);
    expect(b.summary()).toMatchObject({ count: 1000, minMs: 0.05, maxMs: 5000 });
    expect(Math.abs(b.summary()!.medianMs - 0.05) / 0.05).toBeLessThanOrEqual(RTT_RELATIVE_ACCURACY);
  });
});

describe('RttBuffer shipping', () => {
  it('ships the first batch at a random point of its minute, then every minute', () => {
    const shipped: RttSamples[] = [];
    // random() = 0.25: the first batch may wait a quarter of the minute.
    const b = new RttBuffer('s-rttbuf05', path(), (e) => shipped.push(e), { maxSamples: 1000, maxAgeMs: 60_000 }, () => 0.25);
    for (let t = 0; t <= 200_000; t += 1000) b.add(t, 1, t);
    // Samples at 0..15 s ship at 15 s; then each minute's.
    expect(shipped.map((e) => e.samples.length)).toEqual([16, 61, 61, 61]);
  });
});

describe('isoInstant', () => {
  it('formats like Date.prototype.toISOString for any instant from 1970 to 2200, fractions rounded', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 7_258_118_400_000 }), fc.double({ min: 0, max: 0.999, noNaN: true }), (ms, frac) => {
        expect(isoInstant(ms + frac)).toBe(new Date(Math.round(ms + frac)).toISOString());
      }),
      { numRuns: 5000 },
    );
    expect(isoInstant(Date.UTC(2026, 11, 6, 23, 59, 59, 999))).toBe('2026-12-06T23:59:59.999Z');
    expect(isoInstant(Date.UTC(2026, 11, 7))).toBe('2026-12-07T00:00:00.000Z');
  });
});

describe('rtt.samples lines', () => {
  it('carry exactly the JSON that JSON.stringify gives their event, for any samples', () => {
    fc.assert(
      fc.property(
        fc.array(fc.tuple(fc.integer({ min: 1_600_000_000_000, max: 4_000_000_000_000 }), fc.double({ min: 0, max: 60_000, noNaN: true })), { minLength: 1, maxLength: 50 }),
        (samples) => {
          const shipped: RttSamples[] = [];
          const b = new RttBuffer('s-line-01', path(), (e) => shipped.push(e), { maxSamples: 1000, maxAgeMs: 60_000 }, () => 1);
          for (const [at, ms] of samples) b.add(at, ms, 0);
          b.flush();
          const [event] = shipped;
          // What the spool writes, against what JSON.stringify writes for the event built from
          // the inputs (not from the event's samples, which are read back from the line).
          const expected = samples.map(([at, ms]) => ({ at: new Date(Math.round(at)).toISOString(), rttMs: Math.max(0, Math.round(ms * 1000) / 1000) }));
          const plain = { type: 'rtt.samples', id: event!.id, sessionId: 's-line-01', path: path(), samples: expected };
          expect(jsonOf(event!)).toBe(JSON.stringify(plain));
          expect(JSON.parse(jsonOf(event!))).toEqual(JSON.parse(JSON.stringify(plain)));
        },
      ),
      { numRuns: 300 },
    );
  });
});

describe('RttBuffer batches', () => {
  it('ships a smaller batch after a full one with only its own samples (the pairs are reused)', () => {
    const shipped: RttSamples[] = [];
    const b = new RttBuffer('s-rttbuf06', path(), (e) => shipped.push(e), { maxSamples: 100, maxAgeMs: 60_000 }, () => 1);
    for (let i = 0; i < 150; i++) b.add(1_700_000_000_000 + i, i, 0);
    b.flush();
    expect(shipped.map((e) => e.samples.length)).toEqual([100, 50]);
    expect(shipped[1]!.samples.map((s) => s.rttMs)).toEqual(Array.from({ length: 50 }, (_, i) => 100 + i));
    expect(shipped[1]!.samples[49]!.at).toBe(new Date(1_700_000_000_149).toISOString());
  });
});
