import { describe, expect, it } from 'vitest';
import { CELL_INTS, decodePack, memberHorizons, NULL_BIN, packDropBins, packExposures, type EndingPack, type PackPath } from '../../../lib/rollups/ending-pack';

/** A stored pack as PostgreSQL's int4send writes it: big-endian int32, base64 on the wire. */
function stored(probeId: number, paths: { path: Omit<PackPath, 'cells'>; cells: [number, number, number, number][] }[], bucket = Date.parse('2026-11-20T00:00:00Z')) {
  const ints = paths.flatMap((p) => p.cells.flat());
  const bytes = Buffer.alloc(ints.length * 4);
  ints.forEach((v, i) => bytes.writeInt32BE(v, i * 4));
  return {
    bucket,
    probeId,
    paths: paths.map(({ path: p, cells }) => [p.target, p.proxy, p.profile, p.profileKind, p.gapMs, p.maxAgeMs, cells.length]),
    cellsBase64: bytes.toString('base64'),
  };
}

const chat = { target: 'chat', proxy: 'direct', profile: 'idle', profileKind: 'idle', gapMs: null, maxAgeMs: 60_050 };
const feed = { target: 'feed', proxy: 'squid', profile: 'hb', profileKind: 'heartbeat', gapMs: 25_000, maxAgeMs: 1e12 };

// Cells: bin, sessions, drops, idleDrops.
const packs: EndingPack[] = [
  decodePack(
    stored(1, [
      {
        path: chat,
        cells: [
          [NULL_BIN, 2, 2, 3],
          [-3, 0, 0, 1],
          [600, 5, 4, 2],
          [601, 1, 1, 0],
        ],
      },
      { path: feed, cells: [[3_000_000, 1, 1, 1]] },
    ]),
  ),
  decodePack(stored(2, [{ path: chat, cells: [[600, 3, 3, 3]] }])),
  decodePack(stored(1, [{ path: chat, cells: [[599, 1, 0, 0]] }])),
];

describe('decodePack', () => {
  it('reads the paths and their cells in order', () => {
    expect(packs[0]!.paths.map((p) => [p.target, p.cells, p.gapMs, p.maxAgeMs])).toEqual([
      ['chat', 4, null, 60_050],
      ['feed', 1, 25_000, 1e12],
    ]);
    expect([...packs[0]!.cells.subarray(0, CELL_INTS)]).toEqual([NULL_BIN, 2, 2, 3]);
    expect([...packs[0]!.cells.subarray(CELL_INTS, 2 * CELL_INTS)]).toEqual([-3, 0, 0, 1]);
  });

  it('takes paths as jsonb text too (PGlite returns them parsed, other drivers may not)', () => {
    const s = stored(7, [{ path: chat, cells: [[1, 1, 1, 1]] }]);
    expect(decodePack({ ...s, paths: JSON.stringify(s.paths) }).paths[0]!.target).toBe('chat');
  });

  it('refuses bytes that are not whole cells or disagree with the paths', () => {
    const s = stored(7, [{ path: chat, cells: [[1, 1, 1, 1]] }]);
    expect(() => decodePack({ ...s, cellsBase64: Buffer.alloc(10).toString('base64') })).toThrow(/whole number of cells/);
    expect(() => decodePack({ ...s, cellsBase64: Buffer.alloc(32).toString('base64') })).toThrow(/paths count 1 cells, bytes hold 2/);
  });
});

describe('packDropBins', () => {
  it('adds drops by age and idle bins across packs, the null bin apart, negative and far bins kept', () => {
    expect(packDropBins(packs, {})).toEqual({
      age: [
        { bin: 600, count: 7 },
        { bin: 601, count: 1 },
        { bin: 3_000_000, count: 1 },
      ],
      idle: [
        { bin: -3, count: 1 },
        { bin: 600, count: 5 },
        { bin: 3_000_000, count: 1 },
      ],
      unaged: 2,
      maxAgeMs: 1e12,
    });
  });

  it('applies the path filters', () => {
    const bins = packDropBins(packs, { target: 'chat', proxy: 'direct' });
    expect(bins.age).toEqual([
      { bin: 600, count: 7 },
      { bin: 601, count: 1 },
    ]);
    expect(bins.maxAgeMs).toBe(60_050);
    expect(packDropBins(packs, { profile: 'nope' })).toEqual({ age: [], idle: [], unaged: 0, maxAgeMs: null });
  });
});

describe('packExposures', () => {
  it('counts per probe and path: sessions, drops, reached, outlived and hits per window', () => {
    const out = packExposures(packs, { target: 'chat' }, [
      { dimension: 'age', lo: 600, hi: 601 },
      { dimension: 'idle', lo: -5, hi: 0 },
    ]);
    expect(out.map((e) => ({ probe: e.probeId, target: e.target, sessions: e.sessions, drops: e.drops, reached: e.reached, outlived: e.outlived, hits: e.hits }))).toEqual([
      // Probe 1's two packs add up; the null bin counts in the totals only.
      { probe: 1, target: 'chat', sessions: 9, drops: 7, reached: [6, 7], outlived: [1, 7], hits: [4, 1] },
      { probe: 2, target: 'chat', sessions: 3, drops: 3, reached: [3, 3], outlived: [0, 3], hits: [3, 0] },
    ]);
  });
});

describe('memberHorizons', () => {
  const HOUR = 3_600_000;
  const at = (h: number) => Date.parse('2026-11-20T00:00:00Z') + h * HOUR;
  // Hits of the age window [600, 601) by hour: 3 at hour 0, 2 at hour 1 (two probes), 4 at hour 2.
  const hourly = [
    decodePack(stored(1, [{ path: chat, cells: [[600, 3, 3, 0]] }], at(0))),
    decodePack(stored(1, [{ path: chat, cells: [[600, 1, 1, 0], [700, 5, 5, 5]] }], at(1))),
    decodePack(stored(2, [{ path: chat, cells: [[600, 1, 1, 2]] }], at(1))),
    decodePack(stored(1, [{ path: chat, cells: [[NULL_BIN, 9, 9, 9], [600, 4, 4, 0]] }, { path: feed, cells: [[600, 50, 50, 0]] }], at(2))),
  ];
  const windows = [
    { dimension: 'age' as const, lo: 600, hi: 601 },
    { dimension: 'idle' as const, lo: 600, hi: 601 },
  ];

  it('gives the oldest hour from which the newer hours hold the sample', () => {
    expect(memberHorizons(hourly, { target: 'chat' }, windows, 4)).toEqual([at(2), null]);
    expect(memberHorizons(hourly, { target: 'chat' }, windows, 5)).toEqual([at(1), null]);
    expect(memberHorizons(hourly, { target: 'chat' }, windows, 9)).toEqual([at(0), null]);
    expect(memberHorizons(hourly, { target: 'chat' }, windows, 2)).toEqual([at(2), at(1)]);
  });

  it('is null when all the packs hold fewer, and counts only admitted paths', () => {
    expect(memberHorizons(hourly, { target: 'chat' }, windows, 10)).toEqual([null, null]);
    expect(memberHorizons(hourly, {}, windows, 54)).toEqual([at(2), null]);
  });
});
