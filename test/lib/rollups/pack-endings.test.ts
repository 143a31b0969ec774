import { describe, expect, it } from 'vitest';
import { endKinds, type EndKind } from '../../../lib/contracts/ingest';
import { ENDING_BYTES, endingPathIds, readEndings, sumEndings } from '../../../lib/rollups/pack-endings';
import { chat, dictionary, feed, pack } from './pack-fixtures';

/** Endings as PostgreSQL's int4send and int2send write them (db/queries/ending-bins.ts). */
function bytes(entries: [pathId: number, kind: EndKind, code: number, count: number][]): Buffer {
  const out = Buffer.alloc(entries.length * ENDING_BYTES);
  entries.forEach(([id, kind, code, n], i) => {
    out.writeInt32BE(id, i * ENDING_BYTES);
    out.writeInt16BE(endKinds.indexOf(kind), i * ENDING_BYTES + 4);
    out.writeInt16BE(code, i * ENDING_BYTES + 6);
    out.writeInt32BE(n, i * ENDING_BYTES + 8);
  });
  return out;
}

describe('pack endings', () => {
  const paths = dictionary([chat, feed]);

  it('reads each entry with its path, kind and code, and names the paths to look up', () => {
    const b = bytes([
      [1, 'tcp_reset', 0, 3],
      [2, 'close_frame', 1006, 2],
    ]);
    expect(endingPathIds(b)).toEqual([1, 2]);
    expect(readEndings(b, paths).map((e) => [e.path.target, e.endKind, e.closeCode, e.count])).toEqual([
      ['chat', 'tcp_reset', 0, 3],
      ['feed', 'close_frame', 1006, 2],
    ]);
  });

  it('sums the admitted paths over the packs by kind and by code', () => {
    const one = { ...pack(1, [{ path: chat, cells: [[1, 1, 1, 0]] }]), endings: readEndings(bytes([[1, 'tcp_reset', 0, 3], [2, 'close_frame', 1006, 2]]), paths) };
    const two = { ...pack(2, [{ path: chat, cells: [[1, 1, 1, 0]] }]), endings: readEndings(bytes([[1, 'tcp_reset', 0, 1], [1, 'close_frame', 4000, 5]]), paths) };
    const all = sumEndings([one, two], {});
    expect([...all.endKinds].sort()).toEqual([['close_frame', 7], ['tcp_reset', 4]]);
    expect([...all.closeCodes].sort((a, b) => a[0] - b[0])).toEqual([[0, 4], [1006, 2], [4000, 5]]);
    const chatOnly = sumEndings([one, two], { target: 'chat' });
    expect([...chatOnly.endKinds].sort()).toEqual([['close_frame', 5], ['tcp_reset', 4]]);
    // A pack read without its endings adds nothing.
    expect(sumEndings([pack(1, [{ path: chat, cells: [[1, 1, 1, 0]] }])], {}).endKinds.size).toBe(0);
  });

  it('refuses bytes that are not whole entries, or name an unknown path or kind', () => {
    expect(() => readEndings(Buffer.alloc(ENDING_BYTES + 1), paths)).toThrow(/whole number of entries/);
    expect(() => readEndings(bytes([[9, 'tcp_fin', 0, 1]]), paths)).toThrow(/path 9/);
    const bad = bytes([[1, 'tcp_fin', 0, 1]]);
    bad.writeInt16BE(endKinds.length, 4);
    expect(() => readEndings(bad, paths)).toThrow(/unknown/);
  });
});
