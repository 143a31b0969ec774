/** Alert quorum: per-probe observations folded into one per label set (lib/alerts/quorum.ts). */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { applyQuorum, quorumOf, type UnitObservation } from '../../../lib/alerts/quorum';
import { seenBy, summarize } from '../../../lib/alerts/notification';
import type { AlertKind, Quorum, RuleCondition } from '../../../lib/alerts/rule';
import { judge } from '../../../lib/alerts/verdict';

const condition: RuleCondition = { threshold: 1, resolveThreshold: 0.5, windowMs: 300_000, minCount: 1 };
/** A probe's unit with the verdict the rule's threshold gives its value. */
const unit = (probe: string, value: number | null, over: { labels?: Record<string, string>; region?: string | null; kind?: AlertKind } = {}): UnitObservation => ({
  labels: over.labels ?? {},
  value,
  verdict: judge(over.kind ?? 'drop_rate', condition, value),
  evidence: {},
  probe,
  labelValue: over.region === undefined ? null : over.region,
});
const byProbe = (min: number): Quorum => ({ min, by: 'probe' });
const byRegion = (min: number): Quorum => ({ min, by: 'label:region' });

describe('applyQuorum', () => {
  it.each([
    { name: 'one of two probes dropping is not a quorum of 2', units: [unit('edge-eu', 3), unit('edge-us', 0)], verdict: 'clear', count: 1, probes: ['edge-eu'], value: 0 },
    { name: 'both dropping is', units: [unit('edge-us', 2), unit('edge-eu', 3)], verdict: 'breach', count: 2, probes: ['edge-eu', 'edge-us'], value: 2 },
    { name: 'one breaching, one in the hysteresis band: hold', units: [unit('a', 3), unit('b', 0.7)], verdict: 'hold', count: 2, probes: ['a', 'b'], value: 0.7 },
    { name: 'a lone probe has no 2nd worst value', units: [unit('a', 3)], verdict: 'clear', count: 1, probes: ['a'], value: null },
    { name: 'nothing seen', units: [], verdict: null, count: 0, probes: [], value: null },
  ])('by probe, K = 2: $name', ({ units, verdict, count, probes, value }) => {
    const [o, ...rest] = applyQuorum('drop_rate', byProbe(2), units);
    expect(rest).toEqual([]);
    if (verdict === null) return expect(o).toBeUndefined();
    expect(o).toMatchObject({ labels: {}, verdict, value, evidence: { quorum: { min: 2, by: 'probe', count, probes } } });
    expect(o!.evidence.quorum).not.toHaveProperty('values');
  });

  it('by label: two probes in one region count once; probes without the label do not count', () => {
    const units = [unit('eu-1', 3, { region: 'eu' }), unit('eu-2', 4, { region: 'eu' }), unit('lab', 9, { region: null })];
    const [alone] = applyQuorum('drop_rate', byRegion(2), units);
    expect(alone).toMatchObject({ verdict: 'clear', evidence: { quorum: { count: 1, values: ['eu'], probes: ['eu-1', 'eu-2'] } } });
    expect((alone!.evidence.units as { probe: string }[]).map((u) => u.probe)).toEqual(['eu-2', 'eu-1']);

    const [both] = applyQuorum('drop_rate', byRegion(2), [...units, unit('us-1', 2, { region: 'us' }), unit('us-2', 0, { region: 'us' })]);
    // A region's value is its worst probe's: eu 4, us 2; the 2nd worst region is us.
    expect(both).toMatchObject({ verdict: 'breach', value: 2, evidence: { quorum: { min: 2, by: 'label:region', count: 2, values: ['eu', 'us'], probes: ['eu-1', 'eu-2', 'us-1'] } } });
  });

  it('folds per rule label set: each proxy has its own quorum', () => {
    const squid = { proxy: 'squid' };
    const direct = { proxy: 'direct' };
    const out = applyQuorum('drop_rate', byProbe(2), [unit('a', 3, { labels: squid }), unit('b', 3, { labels: squid }), unit('a', 3, { labels: direct }), unit('b', 0, { labels: direct })]);
    expect(out.map((o) => [o.labels, o.verdict])).toEqual([
      [direct, 'clear'],
      [squid, 'breach'],
    ]);
  });

  it('upgrade_ratio is worse when lower: the value is the K-th lowest ratio', () => {
    const ratio: RuleCondition = { threshold: 0.9, resolveThreshold: null, windowMs: 300_000, minCount: 1 };
    const u = (probe: string, value: number): UnitObservation => ({ labels: {}, value, verdict: judge('upgrade_ratio', ratio, value), evidence: {}, probe, labelValue: null });
    const [o] = applyQuorum('upgrade_ratio', byProbe(2), [u('a', 0.2), u('b', 0.5), u('c', 1)]);
    expect(o).toMatchObject({ verdict: 'breach', value: 0.5, evidence: { quorum: { count: 2, probes: ['a', 'b'] } } });
  });

  it('a probe listed twice in one label set counts once, at its worst', () => {
    const [o] = applyQuorum('drop_rate', byProbe(2), [unit('a', 3), unit('a', 0)]);
    expect(o).toMatchObject({ verdict: 'clear', evidence: { quorum: { count: 1, probes: ['a'] } } });
  });

  describe('properties', () => {
    const kinds = fc.constantFrom<AlertKind>('drop_rate', 'silent_deaths', 'rtt_p95', 'probe_offline');
    const unitsArb = fc.array(
      fc.record({
        probe: fc.constantFrom('a', 'b', 'c', 'd', 'e', 'f'),
        proxy: fc.constantFrom('squid', 'direct'),
        region: fc.option(fc.constantFrom('eu', 'us', 'ap'), { nil: null }),
        value: fc.option(fc.double({ min: 0, max: 5, noNaN: true }), { nil: null }),
      }),
      { maxLength: 20 },
    );
    const quorumArb = fc.record({ min: fc.integer({ min: 1, max: 4 }), by: fc.constantFrom<Quorum['by']>('probe', 'label:region') });
    const build = (kind: AlertKind, raw: { probe: string; proxy: string; region: string | null; value: number | null }[]) =>
      raw.map((r) => unit(r.probe, r.value, { labels: { proxy: r.proxy }, region: r.region, kind }));

    it('the order of the units does not matter', () => {
      fc.assert(
        fc.property(kinds, quorumArb, unitsArb.chain((u) => fc.tuple(fc.constant(u), fc.shuffledSubarray(u, { minLength: u.length, maxLength: u.length }))), (kind, q, [raw, shuffled]) => {
          expect(applyQuorum(kind, q, build(kind, shuffled))).toEqual(applyQuorum(kind, q, build(kind, raw)));
        }),
      );
    });

    it('adding a clear unit never turns a breach into anything else', () => {
      fc.assert(
        fc.property(kinds, quorumArb, unitsArb, fc.constantFrom('a', 'g'), fc.constantFrom('squid', 'direct'), (kind, q, raw, probe, proxy) => {
          const units = build(kind, raw);
          const before = applyQuorum(kind, q, units);
          const after = applyQuorum(kind, q, [...units, unit(probe, 0, { labels: { proxy }, region: 'eu', kind })]);
          for (const o of before.filter((b) => b.verdict === 'breach')) {
            expect(after.find((a) => a.labels.proxy === o.labels.proxy)?.verdict).toBe('breach');
          }
        }),
      );
    });

    it('count is at most the distinct units and at least the quorum when breaching; the verdict is the threshold on the value', () => {
      fc.assert(
        fc.property(kinds, quorumArb, unitsArb, (kind, q, raw) => {
          const units = build(kind, raw);
          for (const o of applyQuorum(kind, q, units)) {
            const inSet = units.filter((u) => u.labels.proxy === o.labels.proxy && (q.by === 'probe' || u.labelValue !== null));
            const distinct = new Set(inSet.map((u) => (q.by === 'probe' ? u.probe : u.labelValue))).size;
            const evidence = quorumOf(o.evidence)!;
            expect(evidence.count).toBeLessThanOrEqual(distinct);
            if (o.verdict === 'clear') expect(evidence.count).toBeLessThan(q.min);
            else expect(evidence.count).toBeGreaterThanOrEqual(q.min);
            // Every unit's verdict comes from the same threshold, so the K-th worst value says it all.
            expect(judge(kind, condition, o.value)).toBe(o.verdict);
            expect(new Set(evidence.probes).size).toBe(evidence.probes.length);
          }
        }),
      );
    });
  });
});

describe('quorum in notifications', () => {
  const rule = { id: 1, name: 'eu drops', kind: 'drop_rate' as const, severity: 'critical' as const };

  it('names the probes in the summary, so Slack shows them too', () => {
    const [o] = applyQuorum('drop_rate', byProbe(2), [unit('edge-us-1', 2), unit('edge-eu-1', 3)]);
    const quorum = quorumOf(o!.evidence)!;
    expect(summarize({ status: 'firing', rule, labels: {}, value: o!.value, threshold: 1, evidence: o!.evidence, quorum })).toBe(
      '[FIRING] critical · eu drops: 2 drops/min (threshold 1 drops/min) · seen by 2 probes (≥2): edge-eu-1, edge-us-1',
    );
  });

  it('names the label values and their probes, and counts names past ten', () => {
    expect(seenBy({ min: 2, by: 'label:region', count: 2, values: ['eu', 'us'], probes: ['eu-1', 'us-1'] })).toBe('seen in 2 region values (≥2): eu, us, by probes eu-1, us-1');
    const probes = Array.from({ length: 12 }, (_, i) => `p${String(i).padStart(2, '0')}`);
    expect(seenBy({ min: 3, by: 'probe', count: 12, probes })).toBe(`seen by 12 probes (≥3): ${probes.slice(0, 10).join(', ')} and 2 more`);
    expect(seenBy({ min: 2, by: 'probe', count: 0, probes: [] })).toBe('seen by no probe (≥2)');
  });

  it('leaves rules without a quorum as they were', () => {
    expect(summarize({ status: 'resolved', rule, labels: { proxy: 'squid' }, value: 0, threshold: 1, evidence: { drops: 0 } })).toBe('[RESOLVED] critical · eu drops: 0 drops/min (threshold 1 drops/min) · proxy=squid');
    expect(quorumOf({ drops: 0 })).toBeNull();
  });
});
