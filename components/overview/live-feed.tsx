'use client';
/** The newest openings, endings and refusals, newest first; rows added live fade in. */
import { zoneLabel } from '../../lib/dashboard/time';
import { formatDurationPrecise } from '../../lib/overview/format';
import { feedKey } from '../../lib/overview/overview';
import type { FeedItem } from '../../lib/realtime/feed';
import { Instant, useTimeZone } from '../dashboard/time-zone';
import type { LiveStatus } from '../live/use-live-report';

type Badge = { label: string; tone: 'open' | 'drop' | 'closed' | 'refused' };

function badge(item: FeedItem): Badge {
  switch (item.type) {
    case 'session.opened':
      return { label: 'open', tone: 'open' };
    case 'session.ended':
      return item.endKind === 'probe_closed' ? { label: 'closed', tone: 'closed' } : { label: 'drop', tone: 'drop' };
    default:
      return { label: item.outcome === 'dial_failed' ? 'failed' : 'refused', tone: 'refused' };
  }
}

function detail(item: FeedItem): string {
  const parts: string[] = [];
  if (item.type === 'session.opened') {
    parts.push(`HTTP ${item.httpStatus ?? 101}`);
  } else if (item.type === 'session.ended') {
    if (item.durationMs !== undefined) parts.push(`after ${formatDurationPrecise(item.durationMs)}`);
    if (item.endKind) parts.push(item.endKind);
    if (item.closeCode !== undefined) parts.push(String(item.closeCode));
  } else {
    if (item.outcome) parts.push(item.outcome);
    if (item.httpStatus !== undefined) parts.push(`HTTP ${item.httpStatus}`);
  }
  if (item.errorCode) parts.push(item.errorCode);
  return parts.join(' · ');
}

export function LiveFeed({ items, status, freshKeys }: { items: FeedItem[]; status: LiveStatus; freshKeys: ReadonlySet<string> }) {
  const tz = useTimeZone();
  return (
    <section className="card feed" data-testid="live-feed" data-count={items.length} aria-label="Live events">
      <header className="card-header">
        <h2>Live events</h2>
        <div className="card-meta">times in {zoneLabel(tz)}</div>
      </header>
      {items.length === 0 ? (
        <p className="placeholder">{status === 'live' ? 'Waiting for the first event…' : 'No events yet.'}</p>
      ) : (
        <ol className="feed-list">
          {items.map((item) => {
            const key = feedKey(item);
            const b = badge(item);
            return (
              <li key={key} className={freshKeys.has(key) ? 'feed-row feed-row-new' : 'feed-row'} data-feed-key={key} data-type={item.type}>
                <span className="feed-time">
                  <Instant at={item.at} style="clock" />
                </span>
                <span className={`badge badge-${b.tone}`}>{b.label}</span>
                <span className="feed-path" title={item.sessionId}>
                  <span className="feed-target">{item.target}</span>
                  <span className="feed-via"> via </span>
                  <span className="feed-proxy">{item.proxy}</span>
                  {item.profile ? <span className="feed-profile"> · {item.profile}</span> : null}
                </span>
                <span className="feed-detail">{detail(item)}</span>
                <span className="feed-probe">{item.probe}</span>
              </li>
            );
          })}
        </ol>
      )}
    </section>
  );
}
