/** Packs as the database sends them, for the pack readers' tests. */
import { decodePack, NULL_BIN, PATH_BYTES, readPathList, type EndingPack, type PackPath, type StoredPack } from '../../../lib/rollups/ending-pack';

/** A path as a fixture pack holds it: its dictionary entry and its drops' longest age in the hour. */
export type FixturePath = PackPath & { maxAgeMs: number | null };

/** A stored pack as PostgreSQL's int4send and float8send write it: big-endian, base64 on the wire. */
export function stored(probeId: number, paths: { path: FixturePath; cells: [number, number, number, number][] }[], bucket = Date.parse('2026-11-20T00:00:00Z')): StoredPack {
  const ints = paths.flatMap((p) => p.cells.flat());
  const bytes = Buffer.alloc(ints.length * 4);
  ints.forEach((v, i) => bytes.writeInt32BE(v, i * 4));
  const list = Buffer.alloc(paths.length * PATH_BYTES);
  paths.forEach(({ path, cells }, i) => {
    list.writeInt32BE(path.id, i * PATH_BYTES);
    list.writeDoubleBE(path.maxAgeMs ?? NaN, i * PATH_BYTES + 4);
    list.writeInt32BE(cells.length, i * PATH_BYTES + 12);
  });
  return { bucket, probeId, pathList: readPathList(list.toString('base64')), cellsBase64: bytes.toString('base64') };
}

/** The dictionary entries of fixture paths, by id. */
export function dictionary(paths: readonly FixturePath[]): Map<number, PackPath> {
  return new Map(paths.map(({ maxAgeMs: _, ...p }) => [p.id, p]));
}

/** A decoded pack of these paths and cells. */
export function pack(probeId: number, paths: { path: FixturePath; cells: [number, number, number, number][] }[], bucket?: number): EndingPack {
  return decodePack(stored(probeId, paths, bucket), dictionary(paths.map((p) => p.path)));
}

export const chat: FixturePath = { id: 1, target: 'chat', proxy: 'direct', profile: 'idle', profileKind: 'idle', gapMs: null, maxAgeMs: 60_050 };
export const feed: FixturePath = { id: 2, target: 'feed', proxy: 'squid', profile: 'hb', profileKind: 'heartbeat', gapMs: 25_000, maxAgeMs: 1e12 };

// Cells: bin, sessions, drops, idleDrops.
export const packs: EndingPack[] = [
  pack(1, [
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
  pack(2, [{ path: chat, cells: [[600, 3, 3, 3]] }]),
  pack(1, [{ path: chat, cells: [[599, 1, 0, 0]] }]),
];
