'use client';
/**
 * The overview kept live: each socket.io push is queued, and a throttled refetch of the
 * aggregates from GET /api/v1/overview prepends the queued feed items in the same render.
 * Pushes and answers are parsed with zod (in useLiveReport) before they reach state.
 */
import { useRef, useState } from 'react';
import { mergeFeed } from '../../lib/overview/feed-merge';
import { overviewSchema, type Overview } from '../../lib/overview/overview';
import type { FeedItem } from '../../lib/realtime/feed';
import { useLiveReport, type LiveStatus } from '../live/use-live-report';

export const FEED_LIMIT = 50;

export interface LiveOverview {
  overview: Overview;
  feed: FeedItem[];
  status: LiveStatus;
  /** Why the last refresh failed, until one succeeds. */
  error: string | null;
  retry(): void;
}

export function useLiveOverview(initial: Overview, windowParam: string): LiveOverview {
  const [feed, setFeed] = useState(initial.recentEvents);
  /** Pushed items not rendered yet, and those the refetch in flight will render. */
  const pending = useRef<FeedItem[]>([]);
  const taken = useRef<FeedItem[]>([]);
  const { report, status, error, retry } = useLiveReport(initial, {
    url: `/api/v1/overview?window=${encodeURIComponent(windowParam)}`,
    schema: overviewSchema,
    spans: { kind: 'window' },
    onPush: (push) => pending.current.push(...push.items),
    onRefreshStart: () => {
      taken.current = pending.current;
      pending.current = [];
    },
    // Set with the refetched numbers, so each flush is one render. The refetched list also
    // fills in anything pushed while the socket was down; a failed refetch still shows the pushes.
    onRefreshed: (next) => {
      const items = taken.current;
      taken.current = [];
      setFeed((f) => mergeFeed(f, next ? [...next.recentEvents, ...items] : items, FEED_LIMIT));
    },
  });
  return { overview: report, feed, status, error, retry };
}
