import { describe, expect, it } from 'vitest';
import { bothEnds } from '../../../lib/analysis/both-ends';
import { BUILTIN_LAYERS, userLayersSchema } from '../../../lib/analysis/catalogue';
import { rankCandidates } from '../../../lib/analysis/candidates';
import { findPeaks } from '../../../lib/analysis/peaks';
import { logPoissonUpperTail } from '../../../lib/analysis/poisson';
import type { Drop } from '../../../lib/analysis/types';
import { recommendation, verdictSentence } from '../../../lib/analysis/verdict';

const drop = (over: Partial<Drop> = {}): Drop => ({
  id: 'x', probe: 'p', labels: {}, target: 't', proxy: 'direct', proxyKind: 'direct', profile: 'idle', profileKind: 'idle', gapMs: null,
  ageMs: 60_000, idleMs: 60_000, endKind: 'tcp_fin', closeCode: 1006, endedAt: 0, headers: {}, egress: null, targetView: null, ...over,
});

describe('peaks', () => {
  const spike = (centerMs: number, n: number, step = 10) => Array.from({ length: n }, (_, i) => ({ startMs: Math.floor((centerMs - (n / 2) * step + i * step) / 100) * 100, count: 1 }));

  it.each([
    ['a lone spike with no background', [...spike(100_000, 12)], [100_000]],
    ['55 s and 60 s side by side', [...spike(55_000, 30), ...spike(60_000, 30)], [55_000, 60_000]],
    ['fewer than six drops', [...spike(30_000, 5)], []],
    ['a flat plateau', Array.from({ length: 250 }, (_, i) => ({ startMs: i * 100, count: 2 })), []],
  ])('%s', (_label, bins, centers) => {
    const peaks = findPeaks(bins, { binMs: 100 });
    expect(peaks.map((p) => p.centerMs)).toHaveLength(centers.length);
    peaks.forEach((p, i) => expect(Math.abs(p.centerMs - centers[i]!)).toBeLessThan(300));
  });

  it('computes Poisson tails that match known values', () => {
    // P(X ≥ 3 | λ = 1) = 1 − e^-1 (1 + 1 + 1/2) = 0.0803
    expect(Math.exp(logPoissonUpperTail(3, 1))).toBeCloseTo(0.0803, 3);
    expect(logPoissonUpperTail(500, 1)).toBeLessThan(-2000);
    expect(logPoissonUpperTail(5, 0)).toBe(Number.NEGATIVE_INFINITY);
  });
});

describe('candidates', () => {
  const members = (n: number, over: Partial<Drop> = {}) => Array.from({ length: n }, () => drop(over));

  it('names nginx for a 60 s idle FIN behind Server: nginx, ahead of the ALB', () => {
    const c = rankCandidates(BUILTIN_LAYERS, { nMs: 60_020, kind: 'idle', members: members(10, { headers: { server: 'nginx/1.24.0' } }), scope: 'target' });
    expect(c[0]!.layerId).toMatch(/nginx/);
    expect(c.map((x) => x.layerId)).toContain('aws-alb');
    expect(c[0]!.reasons.join(' ')).toContain('server: nginx/1.24.0');
  });

  it('prefers the ALB when the 101 says awselb', () => {
    const c = rankCandidates(BUILTIN_LAYERS, { nMs: 60_000, kind: 'idle', members: members(10, { headers: { server: 'awselb/2.0' } }), scope: 'target' });
    expect(c[0]!.layerId).toBe('aws-alb');
  });

  it('names nobody for an N no layer has, and the verdict says "a layer with an N s idle timeout"', () => {
    const c = rankCandidates(BUILTIN_LAYERS, { nMs: 73_400, kind: 'idle', members: members(10), scope: 'proxy' });
    expect(c).toEqual([]);
    const v = verdictSentence({ nSeconds: 73.4, kind: 'idle', count: 10, scope: 'proxy', value: 'corp', candidates: c, controlIsDirect: true });
    expect(v).toBe("WebSockets die at 73.4 s of silence through proxy corp, on every target it reaches, and not on the direct path (10 drops): a layer inside that proxy's chain with a 73.4 s idle timeout.");
    expect(recommendation({ nSeconds: 73.4, kind: 'idle', candidates: c })).toBe("Send a WebSocket ping at least every 35 s (half of 73.4 s), or raise that layer's timeout.");
  });

  it('says "every proxy" only when more than one was cut', () => {
    expect(verdictSentence({ nSeconds: 2, kind: 'idle', count: 8, scope: 'target', value: 'x', candidates: [], controlIsDirect: true, proxiesCut: 1 })).not.toMatch(/every proxy/);
    expect(verdictSentence({ nSeconds: 2, kind: 'idle', count: 8, scope: 'target', value: 'x', candidates: [], controlIsDirect: false, proxiesCut: 3 })).toMatch(/through every proxy and the direct path/);
  });

  it('takes user layers from configuration', () => {
    const layers = [...BUILTIN_LAYERS, ...userLayersSchema.parse([{ id: 'corp-fw', name: 'our corporate firewall', timeoutS: 900, kind: 'idle', endings: ['rst'], setting: 'the firewall session timeout' }])];
    const c = rankCandidates(layers, { nMs: 900_100, kind: 'idle', members: members(8, { endKind: 'tcp_reset' }), scope: 'proxy' });
    expect(c[0]).toMatchObject({ layerId: 'corp-fw', name: 'our corporate firewall' });
    expect(() => userLayersSchema.parse([{ id: 'x', name: 'x', timeoutS: -1, kind: 'idle', endings: [], setting: 's' }])).toThrow(/timeoutS|endings/);
  });
});

describe('both ends', () => {
  it.each([
    [{ closeFrameReceived: false, endKind: 'tcp_fin', endedAt: 100 }, 'closed both sides'],
    [{ closeFrameReceived: true, endKind: 'close_frame', endedAt: 100 }, 'speaks WebSocket'],
    [{ closeFrameReceived: false, endKind: 'tcp_reset', endedAt: 60_000 }, 'black hole'],
  ])('reads the target view %o', (view, words) => {
    const r = bothEnds(Array.from({ length: 4 }, () => drop({ endedAt: 0, targetView: view })));
    expect(r!.summary).toContain(words);
  });
  it('is absent without target views', () => expect(bothEnds([drop()])).toBeNull());
});
