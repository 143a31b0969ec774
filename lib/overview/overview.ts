/**
 * The first page's numbers, as one shape shared by the query (db/queries/overview.ts), the
 * JSON endpoint (GET /api/v1/overview) and the browser, which parses every answer with
 * {@link overviewSchema} before using it.
 */
import { z } from 'zod';
import { feedItemSchema } from '../realtime/feed-schema';
import type { FeedItem } from '../realtime/feed';

export const HOUR_MS = 3_600_000;

/** The windows the overview accepts, by their query-string spelling. */
const WINDOW_RE = /^([1-9][0-9]{0,3})(m|h|d)$/;
const UNIT_MS = { m: 60_000, h: HOUR_MS, d: 24 * HOUR_MS } as const;
export const MIN_WINDOW_MS = 60_000;
export const MAX_WINDOW_MS = 30 * 24 * HOUR_MS;

/** `15m`, `1h`, `24h`, `7d` → milliseconds; null for anything else or out of range. */
export function parseWindow(text: string): number | null {
  const m = WINDOW_RE.exec(text);
  if (!m) return null;
  const ms = Number(m[1]) * UNIT_MS[m[2] as keyof typeof UNIT_MS];
  return ms >= MIN_WINDOW_MS && ms <= MAX_WINDOW_MS ? ms : null;
}

/** The query string of GET /api/v1/overview. Strict: the route sets unknown parameters aside first (lib/dashboard/query-params.ts). */
export const overviewQuerySchema = z.strictObject({
  window: z
    .string()
    .optional()
    .transform((w, ctx) => {
      if (w === undefined) return HOUR_MS;
      const ms = parseWindow(w);
      if (ms === null) {
        ctx.addIssue({ code: 'custom', message: 'expected a duration from 1m to 30d such as 15m, 1h, 24h or 7d' });
        return z.NEVER;
      }
      return ms;
    }),
});

export const histogramSchema = z.object({
  /** Width of every bin; 0 when there is nothing to bin. */
  binWidthMs: z.number(),
  /** Contiguous bins from the one centred on 0 to the last non-empty one; empty bins included, so gaps show. */
  bins: z.array(
    z.object({
      startMs: z.number(),
      /** Sessions that ended with a duration in [startMs, startMs + binWidthMs); bins are centred on multiples of the width, so the first starts at -binWidthMs / 2. */
      count: z.number(),
      /** Of those, the ones that were dropped (not closed by the probe itself). */
      drops: z.number(),
    }),
  ),
});
export type DurationHistogram = z.infer<typeof histogramSchema>;

export const overviewSchema = z.object({
  /** The `now` the numbers were computed for (ISO). */
  at: z.string(),
  windowMs: z.number(),
  /** Registered, unrevoked probes. */
  probes: z.number(),
  /** Whether any canary session was ever stored: the page explains how to start when not. */
  hasSessions: z.boolean(),
  /** Sessions opened and not ended. */
  liveCanaries: z.number(),
  /** Sessions ended in the last hour (always an hour, whatever the window) other than by the probe itself. */
  dropsLastHour: z.number(),
  /** Of those drops, the silent deaths (no FIN, no reset: noticed by a pong deadline). */
  silentDeathsLastHour: z.number(),
  /** Median ping/echo RTT over the last hour, from the per-minute rollup; null without samples. */
  medianRttMs: z.number().nullable(),
  /** Dial attempts with a known outcome, attempted in the window. */
  attempts: z.number(),
  /** Of those, the ones answered 101 Switching Protocols. */
  upgrades101: z.number(),
  /** upgrades101 / attempts; null when there were no attempts. */
  upgradeSuccessRatio: z.number().nullable(),
  /** Durations of the sessions that ended in the window (drops and probe closes). */
  histogram: histogramSchema,
  /** The newest openings, endings and failures, newest first. */
  recentEvents: z.array(feedItemSchema),
});
export type Overview = z.infer<typeof overviewSchema>;

/**
 * A key that is the same for an event whether it came from a live push (with the probe's
 * event id) or was rebuilt from a session row (which does not keep event ids).
 */
export function feedKey(item: Pick<FeedItem, 'id' | 'type' | 'sessionId'>): string {
  return item.sessionId ? `${item.type}:${item.sessionId}` : item.id;
}

/** The feed items the overview lists; RTT samples and heartbeats would drown them. */
export function isSessionFeedItem(item: Pick<FeedItem, 'type'>): boolean {
  return item.type === 'session.opened' || item.type === 'session.ended' || item.type === 'attempt.failed';
}
