'use client';
/** The first page, live: tiles, the duration histogram and the event feed. */
import { useRef } from 'react';
import { feedKey, type Overview } from '../../lib/overview/overview';
import { DurationHistogram } from './duration-histogram';
import { GettingStarted } from './getting-started';
import { LiveFeed } from './live-feed';
import { StatTiles } from './stat-tiles';
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
        <LiveStatusBadge status={status} />
      </div>
      <RefreshError error={error} status={status} retry={retry} />
      {overview.hasSessions ? null : <GettingStarted probes={overview.probes} origin={props.origin} curlCommand={props.curlCommand} />}
      <StatTiles overview={overview} />
      <div className="panels">
        <DurationHistogram histogram={overview.histogram} windowMs={overview.windowMs} />
        <LiveFeed items={feed} status={status} freshKeys={freshKeys} />
      </div>
    </div>
  );
}
