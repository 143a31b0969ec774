/**
 * Formatting for the overview. Deterministic (UTC, no locale) so the server's HTML and the
 * browser's first render agree and React does not have to throw the page away.
 */

const S = 1000;
const M = 60 * S;
const H = 60 * M;
const D = 24 * H;

/** Axis labels: `0`, `500ms`, `10s`, `1m`, `1m30s`, `2h`, `1d6h`. Drops sub-unit noise. */
export function formatDurationShort(ms: number): string {
  if (ms === 0) return '0';
  if (ms < S) return `${Math.round(ms)}ms`;
  const parts: string[] = [];
  let rest = Math.round(ms / S);
  for (const [unit, size] of [['d', 86_400], ['h', 3600], ['m', 60], ['s', 1]] as const) {
    const n = Math.floor(rest / size);
    rest -= n * size;
    if (n > 0) parts.push(`${n}${unit}`);
  }
  return parts.slice(0, 2).join('');
}

/**
 * A measured duration, precise enough to compare with a configured timeout: `850 ms`,
 * `60.02 s` (up to ten minutes), then `1h 05m 00s`.
 */
export function formatDurationPrecise(ms: number): string {
  if (ms < S) return `${Math.round(ms)} ms`;
  if (ms < 10 * M) return `${(ms / S).toFixed(2)} s`;
  const total = Math.round(ms / S);
  const d = Math.floor(total / 86_400);
  const h = Math.floor((total % 86_400) / 3600);
  const m = Math.floor((total % 3600) / 60);
  const s = total % 60;
  const pad = (n: number) => String(n).padStart(2, '0');
  if (ms < H) return `${m}m ${pad(s)}s`;
  if (ms < D) return `${h}h ${pad(m)}m ${pad(s)}s`;
  return `${d}d ${pad(h)}h ${pad(m)}m`;
}

/** `HH:MM:SS` in UTC. */
export function formatClockUtc(iso: string): string {
  const t = new Date(iso);
  return Number.isNaN(t.getTime()) ? '--:--:--' : t.toISOString().slice(11, 19);
}

/** `77.8%`, `100%`, `—` when there is no ratio. */
export function formatPercent(ratio: number | null): string {
  if (ratio === null) return '—';
  const pct = ratio * 100;
  return pct === 100 || pct === 0 ? `${pct}%` : `${pct.toFixed(1)}%`;
}

/** `1h`, `24h`, `15m`, `7d` for a window length. */
export function formatWindow(ms: number): string {
  if (ms % D === 0 && ms >= 2 * D) return `${ms / D}d`;
  if (ms % H === 0) return `${ms / H}h`;
  return `${Math.round(ms / M)}m`;
}
