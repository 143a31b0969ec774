/**
 * The probe's per-minute RTT sums (agent/rtt-minutes.ts). The oracle is the backend's own
 * rollup of the same samples sent one by one (`rtt.samples`, db/queries/ingest-rows.ts):
 * what the probe sums must land in rtt_minutes exactly as the samples would have.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { nextMinuteShipDelay, RttMinutes } from '../../agent/rtt-minutes';
import { rttMsOf } from '../../agent/rtt-summary';
import { rttRows } from '../../db/queries/ingest-rows';
import { ingestEventSchema, type IngestEvent, type RttMinute, type RttSamples } from '../../lib/contracts/ingest';
import { path } from '../helpers/events';

const T = Date.UTC(2026, 11, 7, 1, 0, 0);
const PATHS = [path({ target: 'a' }), path({ target: 'b', proxy: 'squid', kind: 'http' })];

describe('RttMinutes', () => {
  it('sums what the backend would have rolled up from the samples, in valid events', () => {
    fc.assert(
      fc.property(
        fc.array(fc.tuple(fc.integer({ min: 0, max: 1 }), fc.integer({ min: 0, max: 5 * 60_000 }), fc.double({ min: 0, max: 120_000, noNaN: true })), { minLength: 1, maxLength: 300 }),
        (raw) => {
          // Samples arrive in time order on one probe.
          const samples = [...raw].sort((x, y) => x[1] - y[1]).map(([p, at, ms]) => ({ path: PATHS[p]!, at: T + at, ms: rttMsOf(ms) }));
          const shipped: RttMinute[] = [];
          const minutes = new RttMinutes((e) => shipped.push(e));
          for (const s of samples) minutes.add(s.path, s.at, s.ms);
          minutes.flush();
          expect(minutes.size).toBe(0);
          for (const e of shipped) expect(ingestEventSchema.safeParse(e).error?.issues ?? []).toEqual([]);

          const asSamples: RttSamples[] = samples.map((s, i) => ({ type: 'rtt.samples', id: `sample-${i}`, sessionId: 'session-1', path: s.path, samples: [{ at: new Date(s.at).toISOString(), rttMs: s.ms }] }));
          const key = (r: { minute: Date; targetName: string }) => `${r.minute.toISOString()} ${r.targetName}`;
          const sorted = <R extends { minute: Date; targetName: string }>(rows: R[]) => rows.sort((x, y) => key(x).localeCompare(key(y)));
          const got = sorted(rttRows(1, shipped));
          const want = sorted(rttRows(1, asSamples));
          expect(got.map((r) => ({ ...r, sumMs: Math.round(r.sumMs * 1000) }))).toEqual(want.map((r) => ({ ...r, sumMs: Math.round(r.sumMs * 1000) })));
        },
      ),
      { numRuns: 200 },
    );
  });

  it('ships a path’s minute when its first sample of a later minute arrives, one event per path and minute', () => {
    const shipped: RttMinute[] = [];
    const minutes = new RttMinutes((e) => shipped.push(e));
    for (let i = 0; i < 1000; i++) minutes.add(PATHS[i % 2]!, T + i * 50, 1 + (i % 3));
    // 50 s of samples: nothing ended yet.
    expect(shipped).toEqual([]);
    minutes.add(PATHS[0]!, T + 60_000, 7);
    expect(shipped).toHaveLength(1);
    expect(shipped[0]).toMatchObject({ type: 'rtt.minute', path: PATHS[0], minute: new Date(T).toISOString(), count: 500, minMs: 1, maxMs: 3 });
    expect(shipped[0]!.buckets.reduce((a, b) => a + b, 0)).toBe(500);
  });

  it('ships ended minutes only when asked, everything at flush, and says when it first holds one', () => {
    const shipped: RttMinute[] = [];
    let held = 0;
    const minutes = new RttMinutes((e) => shipped.push(e), () => (held += 1));
    minutes.add(PATHS[0]!, T + 10_000, 1);
    minutes.add(PATHS[1]!, T + 70_000, 2);
    expect(held).toBe(1);
    minutes.shipEnded(T + 59_999);
    expect(shipped).toEqual([]);
    minutes.shipEnded(T + 60_000);
    expect(shipped.map((e) => e.path.target.name)).toEqual(['a']);
    minutes.flush();
    expect(shipped.map((e) => [e.path.target.name, e.minute])).toEqual([
      ['a', new Date(T).toISOString()],
      ['b', new Date(T + 60_000).toISOString()],
    ]);
    minutes.add(PATHS[0]!, T + 130_000, 1);
    expect(held).toBe(2);
  });

  it('ships again a minute its clock stepped back into; the backend adds the parts', () => {
    const shipped: RttMinute[] = [];
    const minutes = new RttMinutes((e) => shipped.push(e));
    minutes.add(PATHS[0]!, T + 61_000, 4);
    minutes.add(PATHS[0]!, T + 59_000, 2);
    minutes.add(PATHS[0]!, T + 62_000, 6);
    minutes.flush();
    expect(shipped.map((e) => [e.minute, e.count])).toEqual([
      [new Date(T + 60_000).toISOString(), 1],
      [new Date(T).toISOString(), 1],
      [new Date(T + 60_000).toISOString(), 1],
    ]);
    const rows = rttRows(1, shipped as IngestEvent[]).map((r) => [r.minute.toISOString(), r.count, r.sumMs, r.minMs, r.maxMs]);
    expect(rows).toEqual([
      [new Date(T + 60_000).toISOString(), 2, 10, 4, 6],
      [new Date(T).toISOString(), 1, 2, 2, 2],
    ]);
  });
});

describe('nextMinuteShipDelay', () => {
  it('is the time to the next minute plus the grace', () => {
    expect(nextMinuteShipDelay(T, 2000)).toBe(62_000);
    expect(nextMinuteShipDelay(T + 59_999, 2000)).toBe(2001);
  });
});
