/**
 * The ingest contract's plausibility checks on their own (lib/contracts/ingest.ts): the
 * bounds exactly, and the limits as configured. test/api/ingest.test.ts has the table of
 * implausible batches through the handler and the database.
 */
import { describe, expect, it } from 'vitest';
import { DEFAULT_INGEST_LIMITS, implausibleInstants, ingestBatchSchema, ingestBatchSchemaFor, MAX_RTT_MINUTE_COUNT, MAX_RTT_SAMPLES, samplesOutside, type IngestEvent } from '../../../lib/contracts/ingest';
import { fieldIssues } from '../../../lib/http/problem';
import { ended, heartbeat, iso, opened, rtt, rttMinute, T0, targetView } from '../../helpers/events';

const paths = (schema: typeof ingestBatchSchema, events: IngestEvent[]) => {
  const parsed = schema.safeParse({ events });
  return parsed.success ? [] : fieldIssues(parsed.error).map((i) => i.path);
};

describe('implausibleInstants', () => {
  const limits = { maxAgeMs: 3_600_000, skewMs: 60_000, maxDurationMs: 86_400_000 };
  const now = T0.getTime();

  it('takes [now − max age − skew, now + skew], bounds included', () => {
    const events = [heartbeat({ at: iso(-3_660_000) }), heartbeat({ at: iso(60_000) }), heartbeat({ at: iso(0) })];
    expect(implausibleInstants(events, now, limits)).toEqual([]);
  });

  it('names every instant outside, with why', () => {
    const events: IngestEvent[] = [
      heartbeat({ at: iso(-3_660_001) }),
      rtt('s-samples1', [1, 2, 3], { samples: [{ at: iso(0), rttMs: 1 }, { at: iso(60_001), rttMs: 2 }] }),
      targetView('s-view0001', 10, { openedAt: '9999-12-31T00:00:00Z', endedAt: '9999-12-31T00:00:01Z' }),
      ended('s-ended001', 1000, { attemptedAt: '2001-01-01T00:00:00Z' }),
    ];
    const found = implausibleInstants(events, now, limits);
    expect(found.map((i) => i.path)).toEqual(['events.0.at', 'events.1.samples.1.at', 'events.2.openedAt', 'events.2.endedAt', 'events.3.attemptedAt']);
    expect(found[0]!.message).toMatch(/no older than 1 h plus 60000 ms of skew/);
    expect(found[1]!.message).toMatch(/no later than the server's clock plus 60000 ms/);
  });
});

describe('the batch schema under configured limits', () => {
  it('bounds a duration by the configured maximum', () => {
    const schema = ingestBatchSchemaFor({ ...DEFAULT_INGEST_LIMITS, maxDurationMs: 60_000 });
    expect(paths(schema, [ended('s-short001', 60_000)])).toEqual([]);
    expect(paths(schema, [ended('s-long0001', 60_001)])).toEqual(['events.0.durationMs']);
    expect(paths(ingestBatchSchema, [ended('s-long0001', 60_001)])).toEqual([]);
  });

  it('bounds a duration by its span plus the configured skew', () => {
    const schema = ingestBatchSchemaFor({ ...DEFAULT_INGEST_LIMITS, skewMs: 1000 });
    // ended(): span = duration + 5 ms; the skew adds 1000 ms.
    const fits = ended('s-span0001', 10_000, { endedAt: iso(9_000), sinceLastRecvMs: 1, sinceLastSentMs: 1 });
    expect(paths(schema, [fits])).toEqual([]);
    const over = ended('s-span0002', 10_001, { endedAt: iso(9_000), sinceLastRecvMs: 1, sinceLastSentMs: 1 });
    expect(paths(schema, [over])).toEqual(['events.0.durationMs']);
  });

  it('takes samples inside the span of their session in the batch, ± the skew', () => {
    const session = [opened('s-rttspan1'), ended('s-rttspan1', 60_000)];
    const at = (ms: number) => rtt('s-rttspan1', [1], { samples: [{ at: iso(ms), rttMs: 1 }] });
    const skew = DEFAULT_INGEST_LIMITS.skewMs;
    expect(paths(ingestBatchSchema, [...session, at(-skew), at(60_005 + skew)])).toEqual([]);
    expect(paths(ingestBatchSchema, [...session, at(-skew - 1), at(60_005 + skew + 1)])).toEqual(['events.2.samples.0.at', 'events.3.samples.0.at']);
    // Without the session in the batch, the store checks them (db/queries/ingest.ts).
    expect(paths(ingestBatchSchema, [at(-skew - 1)])).toEqual([]);
  });

  it(`takes at most ${MAX_RTT_SAMPLES} samples per event`, () => {
    expect(paths(ingestBatchSchema, [rtt('s-rttcount', Array.from({ length: MAX_RTT_SAMPLES }, () => 1))])).toEqual([]);
    expect(paths(ingestBatchSchema, [rtt('s-rttcount', Array.from({ length: MAX_RTT_SAMPLES + 1 }, () => 1))])).toEqual(['events.0.samples']);
  });

  it('refuses instants PostgreSQL cannot store as such, once, whatever the format', () => {
    for (const v of ['0000-01-01T00:00:00Z', '1969-12-31T23:59:59Z', '10000-01-01T00:00:00Z', '+002026-11-01T00:00:00Z']) {
      expect(paths(ingestBatchSchema, [heartbeat({ at: v })]), v).toEqual(['events.0.at']);
    }
    expect(paths(ingestBatchSchema, [heartbeat({ at: '9999-12-31T23:59:59.999Z' })])).toEqual([]);
  });
});

describe('rtt.minute', () => {
  const issues = (events: IngestEvent[]) => {
    const parsed = ingestBatchSchema.safeParse({ events });
    return parsed.success ? [] : fieldIssues(parsed.error).map((i) => `${i.path}: ${i.message}`);
  };

  it('takes a path’s minute whose parts agree with each other', () => {
    expect(issues([rttMinute([0.2, 1, 1.5, 40, 900])])).toEqual([]);
    expect(issues([rttMinute([3])])).toEqual([]);
  });

  it('names the field of a minute that cannot be', () => {
    const [m] = [rttMinute([1, 2, 3])];
    const cases: [Partial<typeof m>, string][] = [
      [{ minute: iso(30_000) }, 'events.0.minute: expected the start of a minute'],
      [{ count: 4 }, 'events.0.buckets: expected buckets adding up to count (4), not 3'],
      [{ minMs: 5, maxMs: 4 }, 'events.0.maxMs: expected maxMs at or above minMs (5)'],
      [{ minMs: 0.1 }, 'events.0.buckets: expected the lowest non-empty bucket to hold minMs'],
      [{ maxMs: 300 }, 'events.0.buckets: expected the lowest non-empty bucket to hold minMs (bucket 8) and the highest maxMs'],
      [{ sumMs: 10 }, 'events.0.sumMs: expected sumMs between count × minMs and count × maxMs (3 to 9)'],
      [{ sumMs: 2.9 }, 'events.0.sumMs: expected sumMs between'],
      [{ buckets: m!.buckets.slice(1) }, 'events.0.buckets:'],
      [{ count: 0 }, 'events.0.count:'],
    ];
    for (const [over, message] of cases) {
      const found = issues([{ ...m!, ...over }]);
      expect(found.some((i) => i.startsWith(message)), `${JSON.stringify(over)} → ${found.join('; ')}`).toBe(true);
    }
  });

  it(`takes at most ${MAX_RTT_MINUTE_COUNT} samples of one path and minute in a batch`, () => {
    const big = (n: number, over = {}) => rttMinute([1, 2], { count: n, sumMs: 1.5 * n, buckets: rttMinute([1, 2]).buckets.map((c) => (c ? n / 2 : 0)), ...over });
    expect(issues([big(MAX_RTT_MINUTE_COUNT / 2), big(MAX_RTT_MINUTE_COUNT / 2)])).toEqual([]);
    expect(issues([big(MAX_RTT_MINUTE_COUNT / 2), big(MAX_RTT_MINUTE_COUNT / 2), big(2)]).map((i) => i.split(':')[0])).toEqual(['events.2.count']);
    // Another minute, or another path, is counted apart.
    expect(issues([big(MAX_RTT_MINUTE_COUNT / 2), big(MAX_RTT_MINUTE_COUNT / 2), big(2, { minute: iso(60_000) })])).toEqual([]);
  });

  it('dates a minute against the server’s clock like any instant', () => {
    const limits = { maxAgeMs: 3_600_000, skewMs: 60_000, maxDurationMs: 86_400_000 };
    expect(implausibleInstants([rttMinute([1], {}, 120_000)], T0.getTime(), limits).map((i) => i.path)).toEqual(['events.0.minute']);
    expect(implausibleInstants([rttMinute([1], {}, 60_000)], T0.getTime(), limits)).toEqual([]);
  });
});

describe('samplesOutside', () => {
  it('answers the indices outside [start − skew, end + skew]; an open session has no end', () => {
    const samples = [{ at: iso(-11) }, { at: iso(-10) }, { at: iso(110) }, { at: iso(111) }];
    expect(samplesOutside(samples, T0.getTime(), T0.getTime() + 100, 10).map((s) => s.index)).toEqual([0, 3]);
    expect(samplesOutside(samples, T0.getTime(), undefined, 10).map((s) => s.index)).toEqual([0]);
  });
});
