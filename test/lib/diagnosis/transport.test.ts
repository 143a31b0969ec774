/** transportsOf: L4 or L7, from keepalive rungs silent past the path's idle cut. */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { bisectRungs, experiment, keepaliveRungs } from '../../../bench/attribution/experiment-blocks';
import { rng } from '../../../bench/attribution/rng';
import { bracketsOf } from '../../../lib/diagnosis/brackets';
import { transportFindings, transportsOf } from '../../../lib/diagnosis/transport';
import type { ExperimentSession } from '../../../lib/diagnosis/types';
import { exposure, FRA, signature } from './fixtures';

fc.configureGlobal({ seed: Number(process.env.FC_SEED ?? 20261207) });

const T0 = Date.parse('2026-11-20T00:00:00Z');
const DIRECT = { probe: FRA, target: 'api', proxy: 'direct' };
const SQUID = { probe: FRA, target: 'api', proxy: 'squid' };
const bisected = (p: typeof DIRECT, n: number) => bisectRungs(p, () => n, { startAt: T0, rounds: 9, r: rng(n) });
const after = (xs: readonly ExperimentSession[]) => Math.max(...xs.map((x) => x.endedAt ?? 0)) + 1000;

function views(sessions: ExperimentSession[], signatures = [] as ReturnType<typeof signature>[]) {
  return transportsOf(sessions, bracketsOf(sessions), signatures);
}

describe('transportsOf', () => {
  it('L4: a keepalive rung that outlived the bisected 75 s cut; the title says what kind of layer and what is enough', () => {
    const b = bisected(DIRECT, 75_000);
    const k = keepaliveRungs(DIRECT, 1, { startAt: after(b), gapMs: 112_500, keepaliveMs: 20_000, cutMs: 75_000, layer: 'l4', r: rng(1) });
    const [v] = views([...b, ...k]);
    expect(v).toMatchObject({ ...DIRECT, layer: 'l4', survived: 1, died: 0, gapMs: 112_500, keepaliveMs: 20_000 });
    expect(v!.idleCutFrom).toMatch(/^the bisected idle cut/);
    const [f] = transportFindings([v!]);
    expect(f).toMatchObject({ kind: 'transport', cause: 'l4' });
    expect(f!.title).toMatch(/^L4: TCP keepalive every 20 s kept edge-fra-1 → direct → api alive past its 7\d\.\d s idle cut: a NAT, stateful firewall or L4 load balancer; TCP keepalive under 7\d\.\d s is enough$/);
  });

  it('L7: one that died at the cut although keepalive ran', () => {
    const b = bisected(SQUID, 75_000);
    const k = keepaliveRungs(SQUID, 2, { startAt: after(b), gapMs: 112_500, keepaliveMs: 20_000, cutMs: 75_000, layer: 'l7', r: rng(2) });
    const [v] = views([...b, ...k]);
    expect(v).toMatchObject({ layer: 'l7', survived: 0, died: 2 });
    const [f] = transportFindings([v!], [...b, ...k]);
    expect(f).toMatchObject({ kind: 'transport', cause: 'l7' });
    expect(f!.title).toMatch(/^L7: edge-fra-1 → squid → api died although TCP keepalive ran every 20 s: the layer reads the byte stream; send WebSocket pings under 7\d\.\d s$/);
    expect(f!.detail).toMatch(/died at 75\.0 s of silence/);
  });

  it('takes the cut from an idle signature on the path, or from a ladder rung that died', () => {
    const k = keepaliveRungs(DIRECT, 1, { startAt: T0, gapMs: 90_000, keepaliveMs: 20_000, cutMs: 60_000, layer: 'l7', r: rng(3) });
    const sig = signature(60, [exposure({ target: 'api', hits: 12, reached: 12 })]);
    expect(views(k, [sig])[0]).toMatchObject({ layer: 'l7', idleCutMs: 60_000, idleCutFrom: 'the 60.0 s idle signature' });
    // A cut that is not the rule on the path (one backend of a pool: 2 of 10 cut at N) is no
    // control: a rung that survived may have reached a clean backend.
    const pool = signature(60, [exposure({ target: 'api', hits: 2, reached: 10 })]);
    expect(views(k, [pool])[0]).toMatchObject({ layer: 'unknown', idleCutMs: null });
    // A lifetime signature is no idle cut: a keepalive rung dies at its N too.
    expect(views(k, [signature(60, sig.paths, { kind: 'lifetime' })])[0]).toMatchObject({ layer: 'unknown', idleCutMs: null });
    const ladder = [0, 1, 2].map((i) => experiment(DIRECT, { profile: 'ladder/90s', profileKind: 'ladder', gapMs: 90_000 }, T0 - 500_000 + i, 60_000, { endKind: 'tcp_fin' }));
    expect(views([...ladder, ...k])[0]).toMatchObject({ layer: 'l7', idleCutMs: 90_000, idleCutFrom: 'the ladder rung that died at 90.0 s' });
  });

  it.each<[string, { gapMs: number; keepaliveMs: number; diesAt?: number }, string]>([
    ['silence that never passed the cut', { gapMs: 70_000, keepaliveMs: 20_000 }, 'unknown'],
    ['keepalive no sooner than the cut', { gapMs: 112_500, keepaliveMs: 80_000 }, 'unknown'],
    ['a death before the first keepalive probe', { gapMs: 112_500, keepaliveMs: 20_000, diesAt: 10_000 }, 'unknown'],
    ['a death far from the cut', { gapMs: 112_500, keepaliveMs: 20_000, diesAt: 40_000 }, 'unknown'],
  ])('concludes nothing from %s', (_label, o, layer) => {
    const b = bisected(DIRECT, 75_000);
    const set = { profile: 'keepalive', profileKind: 'keepalive' as const, gapMs: o.gapMs, keepaliveMs: o.keepaliveMs };
    const rung = o.diesAt
      ? experiment(DIRECT, set, after(b), o.diesAt, { endKind: 'tcp_reset' })
      : experiment(DIRECT, set, after(b), o.gapMs + 40, { endKind: 'probe_closed', closeReason: 'keepalive: survived' });
    const [v] = views([...b, rung]);
    expect(v!.layer).toBe(layer);
    expect(transportFindings([v!])).toEqual([]);
  });

  it('concludes nothing without a known idle cut, or from rungs that disagree', () => {
    const l4 = keepaliveRungs(DIRECT, 1, { startAt: T0, gapMs: 112_500, keepaliveMs: 20_000, cutMs: 75_000, layer: 'l4', r: rng(4) });
    expect(views(l4)[0]).toMatchObject({ layer: 'unknown', idleCutMs: null });
    const b = bisected(DIRECT, 75_000);
    const l7 = keepaliveRungs(DIRECT, 1, { startAt: after(b) + 200_000, gapMs: 112_500, keepaliveMs: 20_000, cutMs: 75_000, layer: 'l7', r: rng(5) });
    expect(views([...b, ...l4.map((x) => ({ ...x, attemptedAt: after(b) }))!, ...l7])[0]).toMatchObject({ layer: 'unknown', survived: 1, died: 1 });
  });

  it('for any idle cut, keepalive under it and gap past it: a layer that counts segments is L4, one that reads the stream L7', () => {
    fc.assert(
      fc.property(fc.integer({ min: 5_000, max: 1_800_000 }), fc.double({ min: 0.05, max: 0.95, noNaN: true }), fc.double({ min: 1.1, max: 2, noNaN: true }), fc.boolean(), (n, kf, gf, nat) => {
        const b = bisected(DIRECT, n);
        const keepaliveMs = Math.max(1000, Math.floor((n * kf) / 1000) * 1000);
        fc.pre(keepaliveMs < n);
        const gapMs = Math.round((n * gf) / 10) * 10;
        const k = keepaliveRungs(DIRECT, 1, { startAt: after(b), gapMs, keepaliveMs, cutMs: n, layer: nat ? 'l4' : 'l7', r: rng(n) });
        expect(views([...b, ...k])[0]!.layer).toBe(nat ? 'l4' : 'l7');
      }),
      { numRuns: 120 },
    );
  });
});
