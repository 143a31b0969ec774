/** Packs as the database sends them, for the pack readers' tests. */
import { decodePack, NULL_BIN, type EndingPack, type PackPath } from '../../../lib/rollups/ending-pack';

/** A stored pack as PostgreSQL's int4send writes it: big-endian int32, base64 on the wire. */
export function stored(probeId: number, paths: { path: Omit<PackPath, 'cells'>; cells: [number, number, number, number][] }[], bucket = Date.parse('2026-11-20T00:00:00Z')) {
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

export const chat = { target: 'chat', proxy: 'direct', profile: 'idle', profileKind: 'idle', gapMs: null, maxAgeMs: 60_050 };
export const feed = { target: 'feed', proxy: 'squid', profile: 'hb', profileKind: 'heartbeat', gapMs: 25_000, maxAgeMs: 1e12 };

// Cells: bin, sessions, drops, idleDrops.
export const packs: EndingPack[] = [
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
