/**
 * A path page's id: `encodeURIComponent(target) + '~' + encodeURIComponent(proxy)`, with
 * a `~` inside a name escaped as `%7E` (encodeURIComponent leaves it alone). So the id
 * splits at exactly one `~`, and anything else is refused rather than guessed at.
 */
import { hasNul } from '../http/nul-text';

export interface PathKey {
  target: string;
  proxy: string;
}

export function pathId(p: PathKey): string {
  const enc = (s: string) => encodeURIComponent(s).replace(/~/g, '%7E');
  return `${enc(p.target)}~${enc(p.proxy)}`;
}

const NAME_MAX = 128;

/**
 * The target and proxy an id names, or null for a malformed id (no or several `~`, bad
 * percent-encoding, an empty or over-long name, a NUL no name can hold). Takes the id percent-encoded, as in the URL.
 */
export function parsePathId(id: string): PathKey | null {
  const parts = id.split('~');
  if (parts.length !== 2) return null;
  try {
    const [target, proxy] = parts.map((p) => decodeURIComponent(p)) as [string, string];
    if (!target || !proxy || target.length > NAME_MAX || proxy.length > NAME_MAX || hasNul(target) || hasNul(proxy)) return null;
    return { target, proxy };
  } catch {
    return null;
  }
}
