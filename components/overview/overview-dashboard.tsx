'use client';
/** The first page, live: tiles, the duration histogram and the event feed. */
import { useRef } from 'react';
import { feedKey, type Overview } from '../../lib/overview/overview';
import { DurationHistogram } from './duration-histogram';
import { GettingStarted } from './getting-started';
import { LiveFeed } from './live-feed';
import { StatTiles } from './stat-tiles';
import { Instant } from '../dashboard/time-zone';
import { LiveStatusBadge, RefreshError } from '../live/live-status';
import { useLiveOverview } from './use-live-overview';

export function OverviewDashboard(props: { initial: Overview; windowParam: string; origin: string; curlCommand: string }) {
  const { overview, feed, status, error, retry } = useLiveOverview(props.initial, props.windowParam);
  // Rows that were not on the page when it loaded are highlighted as they arrive.
  const initialKeys = useRef(new Set(props.initial.recentEvents.map(feedKey)));
  const freshKeys = new Set(feed.map(feedKey).filter((k) => !initialKeys.current.has(k)));

  return (
    <div className="overview" data-testid="overview" data-socket={status} data-has-sessions={overview.hasSessions} data-at={overview.at}>
      <div className="overview-bar">
        <h1>Overview</h1>
        {/* The tiles move with every batch; the cards below them are of the page's load: say when each was read (issue 19). */}
        <span className="muted" data-testid="overview-as-of" data-at={overview.at}>
          live figures as of <Instant at={overview.at} style="clock" />
        </span>
        <LiveStatusBadge status={status} />
      </div>
      <RefreshError error={error} status={status} retry={retry} />
      {overview.hasSessions ? null : <GettingStarted probes={overview.probes} origin={props.origin} curlCommand={props.curlCommand} />}
      <StatTiles overview={overview} />
      <div className="panels">
        <DurationHistogram histogram={overview.histogram} windowMs={overview.windowMs} at={overview.at} />
        <LiveFeed items={feed} status={status} freshKeys={freshKeys} />
      </div>
    </div>
  );
}
