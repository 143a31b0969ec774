/**
 * The drops of the endings aggregate's packs by end kind and close code (db/schema.ts
 * `ending_packs.endings`): per path of the pack, its drops (endings not by the probe) by
 * kind and code, 12 bytes each, big-endian as PostgreSQL's int4send and int2send write
 * them:
 *
 *   path id (int4), end kind (int2, its index in endKinds), close code (int2, 0 for none), count (int4)
 *
 * What the drops page's "by ending" and "by close code" read for sealed hours, so that a
 * week is the packs it reads anyway instead of 300,000 quarter-hour rollup rows.
 */
import { endKinds, type EndKind } from '../contracts/ingest';
import { admits, type EndingPack, type PackPath, type PackPathFilter, type PackPaths } from './ending-pack';

export const ENDING_BYTES = 12;

/** One entry of a pack's endings. */
export interface PackEnding {
  path: PackPath;
  endKind: EndKind;
  /** 0 when the connection ended without a close frame. */
  closeCode: number;
  count: number;
}

/** The path ids a pack's endings name (to be looked up with its path list's). */
export function endingPathIds(bytes: Buffer): number[] {
  const ids: number[] = [];
  for (let at = 0; at + ENDING_BYTES <= bytes.length; at += ENDING_BYTES) ids.push(bytes.readInt32BE(at));
  return ids;
}

/**
 * A pack's endings, their paths looked up in `paths`.
 * @throws when the bytes are not whole entries, or name an unknown path or kind.
 */
export function readEndings(bytes: Buffer, paths: PackPaths): PackEnding[] {
  if (bytes.length % ENDING_BYTES !== 0) throw new RangeError(`ending pack endings: ${bytes.length} bytes is not a whole number of entries`);
  const out: PackEnding[] = [];
  for (let at = 0; at < bytes.length; at += ENDING_BYTES) {
    const id = bytes.readInt32BE(at);
    const path = paths.get(id);
    const endKind = endKinds[bytes.readInt16BE(at + 4)];
    if (!path || !endKind) throw new RangeError(`ending pack endings: path ${id} or kind ${bytes.readInt16BE(at + 4)} unknown`);
    out.push({ path, endKind, closeCode: bytes.readInt16BE(at + 6), count: bytes.readInt32BE(at + 8) });
  }
  return out;
}

/** The admitted paths' drops over the packs, by end kind and by close code (0: none). */
export function sumEndings(packs: readonly EndingPack[], filter: PackPathFilter): { endKinds: Map<EndKind, number>; closeCodes: Map<number, number> } {
  const byKind = new Map<EndKind, number>();
  const byCode = new Map<number, number>();
  for (const pack of packs) {
    for (const e of pack.endings ?? []) {
      if (e.count === 0 || !admits(filter, e.path)) continue;
      byKind.set(e.endKind, (byKind.get(e.endKind) ?? 0) + e.count);
      byCode.set(e.closeCode, (byCode.get(e.closeCode) ?? 0) + e.count);
    }
  }
  return { endKinds: byKind, closeCodes: byCode };
}
