/**
 * What names one live view, the same in every browser and on every server: its endpoint's
 * path and its query string in a normal order. The server keys its shared answers by it
 * (live-answer.ts) and the browsers place their refresh slots by it (viewPhaseMs).
 */

/**
 * The query string with its parameters in name order (repeated names keep their order): two
 * pages asking the same question in another order share an answer. Values are not touched
 * (an empty value may be refused where an absent one is not).
 */
export function normalisedQuery(params: URLSearchParams): string {
  const sorted = [...params].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  return new URLSearchParams(sorted).toString();
}

/** `/api/v1/drops?range=24h&by=probe` → `/api/v1/drops?by=probe&range=24h` (origin and hash dropped). */
export function viewKey(url: string): string {
  const parsed = new URL(url, 'http://view.invalid');
  return `${parsed.pathname}?${normalisedQuery(parsed.searchParams)}`;
}

/**
 * Where in its refresh period a view's slots start: a hash of its key spread over
 * [0, periodMs), whole milliseconds. Every viewer of one view gets the same phase, so they
 * still ask together; different views get different phases, so a server showing six views
 * on a 10 s period computes them spread over those 10 s rather than all at the same instant,
 * which made each viewer wait for the sum of them.
 */
export function viewPhaseMs(url: string, periodMs: number): number {
  return fnv1a(viewKey(url)) % Math.max(1, Math.floor(periodMs));
}

/** 32-bit FNV-1a over UTF-16 code units: small, stable, well spread for short strings. */
function fnv1a(text: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) {
    h ^= text.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return h >>> 0;
}
