/**
 * Durations as people write them in alert rules ("90s", "5m", "2h"), and back. Rules
 * store milliseconds; the API and the form show the shortest exact spelling, so a rule
 * read with GET can be sent back with PUT unchanged.
 */
const UNIT_MS = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 } as const;
const DURATION_RE = /^(\d{1,9})(ms|s|m|h|d)$/;

/** Milliseconds for `5m`, `30s`, `250ms`, `2h`, `1d`; null for anything else. */
export function parseDuration(text: string): number | null {
  const m = DURATION_RE.exec(text.trim());
  if (!m) return null;
  return Number(m[1]) * UNIT_MS[m[2] as keyof typeof UNIT_MS];
}

/** The largest unit that divides `ms` exactly: 120000 → `2m`, 90000 → `90s`, 0 → `0s`. */
export function formatDuration(ms: number): string {
  if (ms === 0) return '0s';
  for (const unit of ['d', 'h', 'm', 's'] as const) {
    if (ms % UNIT_MS[unit] === 0) return `${ms / UNIT_MS[unit]}${unit}`;
  }
  return `${ms}ms`;
}
