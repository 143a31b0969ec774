'use client';
/**
 * The overview kept live: each socket.io push is queued, and a throttled flush refetches
 * the aggregates from GET /api/v1/overview and prepends the queued feed items in one
 * render. Pushes and answers are parsed with zod before they reach state.
 */
import { useEffect, useState } from 'react';
import { io } from 'socket.io-client';
import { describeIssues, fieldIssues } from '../../lib/http/problem';
import { mergeFeed } from '../../lib/overview/feed-merge';
import { overviewSchema, type Overview } from '../../lib/overview/overview';
import { LIVE_EVENT, type FeedItem } from '../../lib/realtime/feed';
import { livePushSchema } from '../../lib/realtime/feed-schema';
import { createThrottle } from '../../lib/realtime/throttle';

export type LiveStatus = 'connecting' | 'live' | 'offline';

/** About three renders a second at most, however fast batches arrive. */
const RENDER_INTERVAL_MS = 333;
export const FEED_LIMIT = 50;

export interface LiveOverview {
  overview: Overview;
  feed: FeedItem[];
  status: LiveStatus;
  /** Why the last refresh failed, until one succeeds. */
  error: string | null;
}

export function useLiveOverview(initial: Overview, windowParam: string): LiveOverview {
  const [overview, setOverview] = useState(initial);
  const [feed, setFeed] = useState(initial.recentEvents);
  const [status, setStatus] = useState<LiveStatus>('connecting');
  const [error, setError] = useState<string | null>(null);

  useEffect(() => {
    const abort = new AbortController();
    /** Pushed items not rendered yet. */
    let pending: FeedItem[] = [];
    let inFlight = false;
    let again = false;

    // Pushed items and refetched numbers are set together, so each flush is one render.
    const refresh = async () => {
      if (inFlight) {
        again = true;
        return;
      }
      inFlight = true;
      const items = pending;
      pending = [];
      try {
        const res = await fetch(`/api/v1/overview?window=${encodeURIComponent(windowParam)}`, {
          cache: 'no-store',
          signal: abort.signal,
        });
        if (!res.ok) throw new Error(`GET /api/v1/overview answered ${res.status}`);
        const next = overviewSchema.parse(await res.json());
        setOverview(next);
        // The refetched list also fills in anything pushed while the socket was down.
        setFeed((f) => mergeFeed(f, [...next.recentEvents, ...items], FEED_LIMIT));
        setError(null);
      } catch (err) {
        if (abort.signal.aborted) return;
        console.error('overview refresh failed', err);
        setFeed((f) => mergeFeed(f, items, FEED_LIMIT));
        setError((err as Error).message);
      } finally {
        inFlight = false;
        // A push arrived while fetching: the answer may predate it.
        if (again && !abort.signal.aborted) {
          again = false;
          void refresh();
        }
      }
    };

    const flush = createThrottle(() => void refresh(), RENDER_INTERVAL_MS);

    const socket = io({ path: '/socket.io' });
    socket.on('connect', () => {
      setStatus('live');
      // Batches stored between the server render (or a disconnect) and this subscription
      // were pushed to nobody: catch up once.
      flush.schedule();
    });
    socket.on('disconnect', () => setStatus('offline'));
    socket.io.on('reconnect_attempt', () => setStatus('connecting'));
    socket.on(LIVE_EVENT, (payload: unknown) => {
      const push = livePushSchema.safeParse(payload);
      if (!push.success) {
        // Shown, not swallowed: a server and page from different builds disagree on the shape.
        setError(`a live update was not understood: ${describeIssues(fieldIssues(push.error))}`);
        return;
      }
      pending.push(...push.data.items);
      flush.schedule();
    });

    return () => {
      abort.abort();
      flush.cancel();
      socket.close();
    };
  }, [windowParam]);

  return { overview, feed, status, error };
}
