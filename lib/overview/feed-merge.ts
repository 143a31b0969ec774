/** Merging live pushes and refetched lists into the one feed the page shows. */
import type { FeedItem } from '../realtime/feed';
import { feedKey, isSessionFeedItem } from './overview';

/** At the same instant an end or failure happened after the open. */
const rank = (t: FeedItem['type']) => (t === 'session.opened' ? 1 : 0);

/**
 * `current` plus the session events of `incoming`, one item per {@link feedKey} (the newer
 * copy wins), newest first by event time, at most `limit` items. Pure: returns a new array.
 */
export function mergeFeed(current: readonly FeedItem[], incoming: readonly FeedItem[], limit: number): FeedItem[] {
  const byKey = new Map<string, FeedItem>();
  for (const item of current) byKey.set(feedKey(item), item);
  for (const item of incoming) if (isSessionFeedItem(item)) byKey.set(feedKey(item), item);
  return [...byKey.values()]
    .sort((a, b) => Date.parse(b.at) - Date.parse(a.at) || rank(a.type) - rank(b.type) || feedKey(a).localeCompare(feedKey(b)))
    .slice(0, limit);
}
