/**
 * A window whose drops are all past raw retention (no members): described from the window
 * and the per-path counts alone, and never without the hours that hold it.
 */
import { describe, expect, it } from 'vitest';
import { BUILTIN_LAYERS } from '../../../lib/analysis/catalogue';
import { decideKindFromPaths } from '../../../lib/analysis/kind';
import { describeSignature } from '../../../lib/analysis/signature';
import type { PathExposure } from '../../../lib/analysis/types';

const path = (over: Partial<PathExposure>): PathExposure => ({
  probe: 'edge-1', target: 'chat', proxy: 'squid', profile: 'idle', profileKind: 'idle', gapMs: null, labels: {},
  sessions: 100, drops: 60, reached: 60, hits: 55, outlived: 0, ...over,
});
// The 60 s cut on squid; chat through tiny, the control, outlives it.
const cut = [path({}), path({ probe: 'edge-2' })];
const control = [path({ proxy: 'tiny', drops: 2, reached: 60, hits: 0, outlived: 58 }), path({ probe: 'edge-2', proxy: 'tiny', drops: 2, reached: 60, hits: 0, outlived: 58 })];
const peak = { centerMs: 60_050, lowMs: 59_700, highMs: 60_400, count: 110, expected: 1, logP: -300 };
const seen = { firstMs: Date.parse('2026-10-01T02:00:00Z'), lastMs: Date.parse('2026-10-01T19:00:00Z') };

describe('decideKindFromPaths', () => {
  it('reads lifetime from talking canaries cut in the window, idle from talkers that outlived it, else undetermined', () => {
    const heartbeats = [path({ profile: 'hb', profileKind: 'heartbeat', hits: 30 })];
    expect(decideKindFromPaths('age', 60_000, 110, [...cut, ...heartbeats]).kind).toBe('lifetime');
    const outlived = [path({ profile: 'hb', profileKind: 'heartbeat', hits: 0, outlived: 40 })];
    expect(decideKindFromPaths('age', 60_000, 110, [...cut, ...outlived]).kind).toBe('idle');
    // Talkers that outlived N elsewhere (another proxy) say nothing of this one.
    expect(decideKindFromPaths('age', 60_000, 110, [...cut, path({ proxy: 'tiny', profile: 'hb', profileKind: 'heartbeat', hits: 0, outlived: 40 })]).kind).toBe('undetermined');
    expect(decideKindFromPaths('idle', 60_000, 110, cut).kind).toBe('idle');
    expect(decideKindFromPaths('age', 60_000, 110, cut).evidence[0]).toMatch(/past raw retention/);
  });
});

describe('describeSignature without members', () => {
  const input = { dimension: 'age' as const, peak, members: [], paths: [...cut, ...control], totalDrops: 400, layers: BUILTIN_LAYERS };

  it('is no signature without the hours that hold the window', () => {
    expect(describeSignature(input)).toBeNull();
  });

  it('gives N from the window, the place from the paths, the hours seen, and says what is missing', () => {
    const g = describeSignature({ ...input, seen })!;
    expect(g).toMatchObject({ key: 'age-60.1s', nMs: 60_050, count: 110, share: 0.275, window: { lowMs: 59_700, highMs: 60_400 }, minMs: 59_700, maxMs: 60_400 });
    expect(g.location).toMatchObject({ scope: 'proxy', value: 'squid' });
    expect(g).toMatchObject({ firstSeen: '2026-10-01T02:00:00.000Z', lastSeen: '2026-10-01T19:00:00.000Z', software: null, bothEnds: null, endings: {}, closeCodes: {}, endedBy: 'layer' });
    expect(g.fromAggregatesOnly).toMatch(/DROPSCOPE_RETENTION_RAW/);
    expect(g.softwareNote).toMatch(/past raw retention/);
    expect(g.candidates.length).toBeGreaterThan(0);
    expect(g.verdict.length).toBeGreaterThan(0);
  });
});
