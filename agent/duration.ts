/**
 * Durations in config files: a number of seconds, or a string with a unit
 * ("250ms", "15s", "5m", "2h"). SREs think of timeouts in seconds and minutes.
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
