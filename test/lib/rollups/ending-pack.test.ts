import { describe, expect, it } from 'vitest';
import { firstBaseBin, relativeBin } from '../../../lib/analysis/relative-bins';
import { rebinCentred } from '../../../lib/drops/bins';
import { CELL_INTS, decodePack, NULL_BIN, PATH_BYTES, readPathList, type EndingPack } from '../../../lib/rollups/ending-pack';
import { memberHorizons, packExposures, windowHours } from '../../../lib/rollups/pack-windows';
import { centredBins, packDropBins, packDropBinsMapped, RELATIVE_BINS } from '../../../lib/rollups/pack-drop-bins';
import { chat, dictionary, feed, pack, packs, stored } from './pack-fixtures';

describe('decodePack', () => {
  it('reads the paths, their longest ages and their cells in order', () => {
    const p = packs[0]!;
    expect(p.paths.map((x) => [x.id, x.target, x.gapMs])).toEqual([
      [1, 'chat', null],
      [2, 'feed', 25_000],
    ]);
    expect([...p.maxAgeMs]).toEqual([60_050, 1e12]);
    expect([...p.offsets]).toEqual([0, 4 * CELL_INTS, 5 * CELL_INTS]);
    expect([...p.cells.subarray(0, CELL_INTS)]).toEqual([NULL_BIN, 2, 2, 3]);
    expect([...p.cells.subarray(CELL_INTS, 2 * CELL_INTS)]).toEqual([-3, 0, 0, 1]);
  });

  it('shares one object per path across packs, and reads a path without drops as NaN', () => {
    const quiet = { ...feed, maxAgeMs: null };
    const paths = dictionary([chat, quiet]);
    const a = decodePack(stored(1, [{ path: chat, cells: [[1, 1, 1, 1]] }, { path: quiet, cells: [[2, 1, 0, 0]] }]), paths);
    const b = decodePack(stored(2, [{ path: chat, cells: [[1, 1, 1, 1]] }]), paths);
    expect(a.paths[0]).toBe(b.paths[0]);
    expect(a.maxAgeMs[1]).toBeNaN();
  });

  it("reads base64 as PostgreSQL's encode() writes it, a line break every 76 characters", () => {
    const cells = Array.from({ length: 20 }, (_, i): [number, number, number, number] => [i * 7, i + 1, i, i === 0 ? 0 : -i]);
    const s = stored(7, [{ path: chat, cells }]);
    const wrapped = s.cellsBase64.replace(/.{76}/g, '$&\n');
    expect(wrapped).toContain('\n');
    const pack = decodePack({ ...s, cellsBase64: wrapped }, dictionary([chat]));
    expect([...pack.cells]).toEqual(cells.flat());
    expect(pack.cells.length).toBe(80);
    const paths = Buffer.alloc(20 * PATH_BYTES, 1).toString('base64');
    expect(readPathList(paths.replace(/.{76}/g, '$&\n')).ids.length).toBe(20);
  });

  it('refuses bytes that are not whole cells or paths, disagree with the paths, or name an unknown path', () => {
    const s = stored(7, [{ path: chat, cells: [[1, 1, 1, 1]] }]);
    const paths = dictionary([chat]);
    expect(() => decodePack({ ...s, cellsBase64: Buffer.alloc(10).toString('base64') }, paths)).toThrow(/whole number of cells/);
    expect(() => decodePack({ ...s, cellsBase64: Buffer.alloc(32).toString('base64') }, paths)).toThrow(/paths count 1 cells, bytes hold 2/);
    expect(() => decodePack(s, dictionary([feed]))).toThrow(/path 1 is not in ending_pack_paths/);
    expect(() => readPathList(Buffer.alloc(12).toString('base64'))).toThrow(/whole number of paths/);
  });
});

/**
 * The readers against the cell-by-cell definitions they replace (one pass per cell and
 * window, the null cell apart), on random packs: bins sorted within each path, the null
 * cell first when present, negative and far bins, windows of both dimensions.
 */
describe('pack readers against a cell-by-cell oracle', () => {
  function random(seed: number): () => number {
    let x = seed >>> 0;
    return () => {
      x = (Math.imul(x, 1664525) + 1013904223) >>> 0;
      return x / 2 ** 32;
    };
  }
  const targets = ['chat', 'feed', 'ws'];
  /** `far`: some bins up to 100,000 (a span sparse enough to be summed by sorting); else all within 2,000 (dense). */
  function randomPacks(rnd: () => number, far: boolean): EndingPack[] {
    const out: EndingPack[] = [];
    for (let h = 0; h < 12; h++) {
      for (const probeId of [1, 2]) {
        const paths = targets.filter(() => rnd() < 0.8).map((target) => {
          const bins = new Set<number>();
          const n = Math.floor(rnd() * 40);
          for (let i = 0; i < n; i++) bins.add(Math.floor((rnd() - 0.05) * (far && rnd() < 0.1 ? 100_000 : 2_000)));
          const cells: [number, number, number, number][] = [...bins].sort((a, b) => a - b).map((bin) => [bin, 1 + Math.floor(rnd() * 5), Math.floor(rnd() * 4), Math.floor(rnd() * 4)]);
          if (rnd() < 0.3) cells.unshift([NULL_BIN, 1 + Math.floor(rnd() * 3), Math.floor(rnd() * 3), 0]);
          return { path: { ...chat, id: 1 + targets.indexOf(target), target }, cells };
        });
        if (paths.length > 0) out.push(pack(probeId, paths, Date.parse('2026-11-20T00:00:00Z') + h * 3_600_000));
      }
    }
    return out;
  }
  type Cell = { bucket: number; probeId: number; target: string; bin: number; sessions: number; drops: number; idle: number };
  const cellsOf = (packs: EndingPack[], target?: string): Cell[] =>
    packs.flatMap((p) => {
      const out: Cell[] = [];
      p.paths.forEach((path, k) => {
        for (let i = p.offsets[k]!; i < p.offsets[k + 1]!; i += CELL_INTS) {
          if (target === undefined || path.target === target) out.push({ bucket: p.bucket, probeId: p.probeId, target: path.target, bin: p.cells[i]!, sessions: p.cells[i + 1]!, drops: p.cells[i + 2]!, idle: p.cells[i + 3]! });
        }
      });
      return out;
    });

  it('gives what summing every cell gives', () => {
    for (let seed = 1; seed <= 25; seed++) {
      const rnd = random(seed);
      const packs = randomPacks(rnd, seed % 3 !== 0);
      const target = seed % 2 ? 'chat' : undefined;
      const cells = cellsOf(packs, target);
      const binned = cells.filter((c) => c.bin !== NULL_BIN);
      const windows = Array.from({ length: 6 }, () => {
        const lo = Math.floor((rnd() - 0.05) * 2_500);
        return { dimension: rnd() < 0.5 ? ('age' as const) : ('idle' as const), lo, hi: lo + 1 + Math.floor(rnd() * 300) };
      });
      const filter = target ? { target } : {};

      // packDropBins
      const sumBy = (key: 'drops' | 'idle') => {
        const m = new Map<number, number>();
        for (const c of binned) m.set(c.bin, (m.get(c.bin) ?? 0) + c[key]);
        return [...m].filter(([, n]) => n !== 0).sort((a, b) => a[0] - b[0]).map(([bin, count]) => ({ bin, count }));
      };
      const bins = packDropBins(packs, filter);
      expect(bins.age).toEqual(sumBy('drops'));
      expect(bins.idle).toEqual(sumBy('idle'));
      expect(bins.unaged).toBe(cells.filter((c) => c.bin === NULL_BIN).reduce((n, c) => n + c.drops, 0));

      // packDropBinsMapped: the same drops summed into relative bins, each at its first base bin.
      const relative = (key: 'drops' | 'idle') => {
        const m = new Map<number, number>();
        for (const c of binned) m.set(relativeBin(c.bin), (m.get(relativeBin(c.bin)) ?? 0) + c[key]);
        return [...m].filter(([, n]) => n !== 0).sort((a, b) => a[0] - b[0]).map(([k, count]) => ({ bin: firstBaseBin(k), count }));
      };
      expect(packDropBinsMapped(packs, filter, RELATIVE_BINS)).toEqual({ ...bins, age: relative('drops'), idle: relative('idle') });
      // Centred bins of 1 s, as the drops page draws them: what rebinCentred makes of the base bins.
      expect(packDropBinsMapped(packs, filter, centredBins(10))).toEqual({ ...bins, age: rebinCentred(bins.age, 100, 1_000), idle: rebinCentred(bins.idle, 100, 1_000) });

      // packExposures
      const expected = new Map<string, { sessions: number; drops: number; reached: number[]; outlived: number[]; hits: number[] }>();
      for (const c of cells) {
        const key = `${c.probeId} ${c.target}`;
        const e = expected.get(key) ?? { sessions: 0, drops: 0, reached: windows.map(() => 0), outlived: windows.map(() => 0), hits: windows.map(() => 0) };
        expected.set(key, e);
        e.sessions += c.sessions;
        e.drops += c.drops;
        if (c.bin === NULL_BIN) continue;
        windows.forEach((w, k) => {
          if (c.bin < w.lo) return;
          e.reached[k]! += c.sessions;
          if (c.bin >= w.hi) e.outlived[k]! += c.sessions;
          else e.hits[k]! += w.dimension === 'age' ? c.drops : c.idle;
        });
      }
      const got = new Map(packExposures(packs, filter, windows).map((e) => [`${e.probeId} ${e.target}`, { sessions: e.sessions, drops: e.drops, reached: e.reached, outlived: e.outlived, hits: e.hits }]));
      expect(got).toEqual(expected);

      // memberHorizons
      for (const sample of [1, 5, 40]) {
        const horizons = windows.map((w) => {
          const byHour = new Map<number, number>();
          for (const c of binned) if (c.bin >= w.lo && c.bin < w.hi) byHour.set(c.bucket, (byHour.get(c.bucket) ?? 0) + (w.dimension === 'age' ? c.drops : c.idle));
          let held = 0;
          for (const hour of [...new Set(cells.map((c) => c.bucket))].sort((a, b) => b - a)) {
            held += byHour.get(hour) ?? 0;
            if (held >= sample) return hour;
          }
          return null;
        });
        expect(memberHorizons(packs, filter, windows, sample)).toEqual(horizons);
      }

      // windowHours
      const hours = windows.map((w) => {
        const held = binned.filter((c) => c.bin >= w.lo && c.bin < w.hi && (w.dimension === 'age' ? c.drops : c.idle) !== 0).map((c) => c.bucket);
        return held.length === 0 ? null : { firstMs: Math.min(...held), lastMs: Math.max(...held) + 3_600_000 };
      });
      expect(windowHours(packs, filter, windows, 3_600_000)).toEqual(hours);
    }
  });
});
