/**
 * Durations in probe plans: a number of seconds, or a string with a unit ("250ms", "15s",
 * "5m", "2h"). SREs think of timeouts in seconds and minutes. Shared by the probe's YAML
 * (agent/duration.ts re-exports it) and the server's plans, which the agent bundle reads,
 * so this module imports zod only.
 */
import { z } from 'zod';

const UNITS: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000 };

/** Parse to milliseconds; null for anything unparseable. */
export function parseDurationMs(value: number | string): number | null {
  if (typeof value === 'number') return Number.isFinite(value) && value >= 0 ? value * 1000 : null;
  const m = /^\s*(\d+(?:\.\d+)?)\s*(ms|s|m|h)\s*$/.exec(value);
  if (!m) return null;
  return Number(m[1]) * UNITS[m[2]!]!;
}

/** A zod schema for a duration field, yielding milliseconds within [minMs, maxMs]. */
export function durationMs(minMs: number, maxMs: number) {
  return z.union([z.number(), z.string()]).transform((v, ctx) => {
    const ms = parseDurationMs(v);
    if (ms === null) {
      ctx.addIssue({ code: 'custom', message: 'expected a duration: seconds as a number, or "250ms", "15s", "5m", "2h"' });
      return z.NEVER;
    }
    if (ms < minMs || ms > maxMs) {
      ctx.addIssue({ code: 'custom', message: `expected a duration between ${minMs / 1000}s and ${maxMs / 1000}s` });
      return z.NEVER;
    }
    return ms;
  });
}

/**
 * Milliseconds as a duration string `durationMs` reads back to the same value, in the
 * largest of h, m, s, ms that divides it. Never days: the agent's parser has no `d` (a
 * ladder gap may be 86 400 s, which is "24h"), so lib/alerts' formatDuration does not fit.
 */
export function formatPlanDuration(ms: number): string {
  if (!Number.isFinite(ms) || ms < 0) throw new RangeError(`expected a non-negative number of milliseconds, got ${ms}`);
  for (const [unit, size] of [['h', 3_600_000], ['m', 60_000], ['s', 1000]] as const) {
    if (ms > 0 && ms % size === 0) return `${ms / size}${unit}`;
  }
  return `${ms}ms`;
}
