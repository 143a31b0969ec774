/**
 * What a signature asks of probes (server/experiments/requests.ts): verify and keepalive for
 * an idle cut, a reconnect schedule for a lifetime limit, on the busiest five paths, each
 * profile one the probe parses; nothing for an endpoint's own close or an undetermined kind.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { experimentWire } from '../../../db/queries/experiments';
import type { PathExposure, Signature } from '../../../lib/analysis/types';
import { experimentSchema } from '../../../lib/contracts/plan';
import { busiestPaths, experimentWishes, MAX_N_MS, MAX_PATHS_PER_SIGNATURE, type ExperimentWish } from '../../../server/experiments/requests';

type Facts = Pick<Signature, 'key' | 'nMs' | 'kind' | 'fix' | 'paths'>;

function exposure(probe: string, target: string, proxy: string, hits: number, profile = 'idle'): PathExposure {
  return { probe, target, proxy, profile, profileKind: profile === 'idle' ? 'idle' : 'heartbeat', gapMs: null, labels: {}, sessions: hits + 2, drops: hits, reached: hits + 2, hits, outlived: 0 };
}

function idle(nMs: number, paths: PathExposure[], intervalMs = Math.max(1, Math.floor(nMs / 2000 / 5) * 5 || Math.floor(nMs / 2000)) * 1000): Facts {
  return { key: `idle-${(nMs / 1000).toFixed(1)}s`, nMs, kind: 'idle', fix: { kind: 'heartbeat', intervalMs }, paths };
}

const byKind = (wishes: ExperimentWish[], kind: ExperimentWish['kind']) => wishes.filter((w) => w.kind === kind);

describe('experiment requests', () => {
  it('asks verify and keepalive of an idle cut, on each path with hits', () => {
    const wishes = experimentWishes([idle(75_000, [exposure('edge-eu', 'app', 'direct', 12), exposure('edge-eu', 'app', 'direct', 3, 'heartbeat'), exposure('edge-us', 'app', 'corp', 4), exposure('edge-us', 'app', 'direct', 0)])]);
    expect(byKind(wishes, 'verify')).toEqual([
      {
        probe: 'edge-eu',
        target: 'app',
        proxy: 'direct',
        kind: 'verify',
        profile: { name: 'verify-hb-35s', kind: 'heartbeat', interval: 35_000, timeout: 10_000, hold: 225_000 },
        canaries: 1,
        purpose: 'verify the recommended 35 s heartbeat against the 75.0 s idle cut: held for 3 × N (225 s)',
        signature: { key: 'idle-75.0s', nMs: 75_000, kind: 'idle' },
        // 6 × hold is 22.5 min: the 30 min floor.
        expiresAfterMs: 30 * 60_000,
      },
      expect.objectContaining({ probe: 'edge-us', proxy: 'corp', kind: 'verify' }),
    ]);
    expect(byKind(wishes, 'keepalive')[0]).toEqual({
      probe: 'edge-eu',
      target: 'app',
      proxy: 'direct',
      kind: 'keepalive',
      // 1.5 × 75 s = 112.5 s, whole seconds; N / 3 = 25 s.
      profile: { name: 'keepalive-25s', kind: 'keepalive', gap: 113_000, keepalive: 25_000, timeout: 10_000 },
      canaries: 1,
      purpose: 'L4 or L7: silent 113 s, past the 75.0 s idle cut, with TCP keepalive every 25 s',
      signature: { key: 'idle-75.0s', nMs: 75_000, kind: 'idle' },
      expiresAfterMs: 30 * 60_000,
    });
    expect(wishes).toHaveLength(4);
  });

  it('caps the keepalive gap at N + 120 s and the expiry at no less than 30 min', () => {
    const [, ka] = experimentWishes([idle(600_000, [exposure('p', 't', 'direct', 1)])]);
    expect(ka!.profile).toEqual({ name: 'keepalive-200s', kind: 'keepalive', gap: 720_000, keepalive: 200_000, timeout: 10_000 });
    expect(ka!.expiresAfterMs).toBe(6 * 720_000);
    const [v] = experimentWishes([idle(4_000, [exposure('p', 't', 'direct', 1)])]);
    expect(v!.profile).toMatchObject({ interval: 2_000, timeout: 2_000, hold: 12_000 });
    expect(v!.expiresAfterMs).toBe(30 * 60_000);
  });

  it('asks a reconnect schedule of a lifetime limit, and nothing of an endpoint close or an undetermined kind', () => {
    const paths = [exposure('edge-eu', 'chat', 'direct', 9, 'heartbeat')];
    const [r, ...rest] = experimentWishes([{ key: 'age-100.0s', nMs: 100_000, kind: 'lifetime', fix: { kind: 'reconnect', everyMs: 90_000 }, paths }]);
    expect(rest).toEqual([]);
    expect(r).toMatchObject({
      kind: 'reconnect',
      profile: { name: 'reconnect-90s', kind: 'heartbeat', interval: 25_000, timeout: 10_000, hold: 90_000 },
      purpose: 'verify that reconnecting every 90 s hands over before the 100.0 s lifetime limit',
      expiresAfterMs: 30 * 60_000,
    });
    expect(experimentWishes([{ key: 'age-20.0s', nMs: 20_000, kind: 'lifetime', fix: { kind: 'reconnect', everyMs: 18_000 }, paths }])[0]!.profile).toMatchObject({ interval: 5_000, timeout: 5_000 });
    expect(experimentWishes([{ key: 'age-100.0s', nMs: 100_000, kind: 'lifetime', fix: { kind: 'endpoint' }, paths }])).toEqual([]);
    expect(experimentWishes([{ ...idle(75_000, paths), kind: 'undetermined' }])).toEqual([]);
    // Under a second there is nothing to tune; past 2 h a verification would take most of a day.
    expect(experimentWishes([idle(800, paths, 1000)])).toEqual([]);
    expect(experimentWishes([idle(MAX_N_MS + 1, paths)])).toEqual([]);
    expect(experimentWishes([idle(MAX_N_MS, paths)])).toHaveLength(2);
  });

  it('takes the five busiest paths, names breaking ties', () => {
    const paths = ['a', 'b', 'c', 'd', 'e', 'f', 'g'].map((p, i) => exposure(`edge-${p}`, 'app', 'direct', i < 2 ? 5 : 1));
    expect(busiestPaths({ paths }).map((p) => [p.probe, p.hits])).toEqual([
      ['edge-a', 5],
      ['edge-b', 5],
      ['edge-c', 1],
      ['edge-d', 1],
      ['edge-e', 1],
    ]);
    expect(byKind(experimentWishes([idle(75_000, paths)]), 'verify')).toHaveLength(MAX_PATHS_PER_SIGNATURE);
  });

  it('lets the smaller N have a path both signatures cut', () => {
    const paths = [exposure('edge-eu', 'app', 'direct', 3)];
    const wishes = experimentWishes([idle(350_000, paths), idle(60_000, paths)]);
    expect(wishes.map((w) => [w.kind, w.signature.nMs])).toEqual([
      ['verify', 60_000],
      ['keepalive', 60_000],
    ]);
  });

  it('always asks for something the probe parses back to the same settings', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1000, max: MAX_N_MS }), fc.constantFrom('idle', 'lifetime') as fc.Arbitrary<'idle' | 'lifetime'>, (nMs, kind) => {
        const n = nMs / 1000;
        const sig: Facts =
          kind === 'idle'
            ? idle(nMs, [exposure('p', 't', 'x', 1)])
            : { key: 'k', nMs, kind, fix: { kind: 'reconnect', everyMs: Math.max(1, Math.floor(n * 0.9)) * 1000 }, paths: [exposure('p', 't', 'x', 1)] };
        for (const w of experimentWishes([sig])) {
          const parsed = experimentSchema.parse(experimentWire({ id: 1, targetName: w.target, proxyName: w.proxy, profile: w.profile, canaries: w.canaries, purpose: w.purpose }));
          expect(parsed.profile).toEqual(w.profile);
          if (w.profile.kind === 'keepalive') expect(w.profile.gap).toBeGreaterThan(nMs);
          if (w.kind === 'verify') expect((w.profile as { hold: number }).hold).toBeGreaterThanOrEqual(3 * nMs);
        }
      }),
    );
  });
});
