'use client';
import type { ReactNode } from 'react';
import { formatPercent, formatWindow } from '../../lib/overview/format';
import type { Overview } from '../../lib/overview/overview';

export function StatTiles({ overview }: { overview: Overview }) {
  const windowLabel = formatWindow(overview.windowMs);
  const { attempts, upgrades101 } = overview;
  return (
    <section className="tiles" aria-label="Summary">
      <Tile testId="tile-live" label="Live canaries" value={overview.liveCanaries} data={{ 'data-live': overview.liveCanaries }}>
        opened and not ended
      </Tile>
      <Tile
        testId="tile-drops"
        label="Drops · last hour"
        value={overview.dropsLastHour}
        tone={overview.dropsLastHour > 0 ? 'alert' : undefined}
        data={{ 'data-drops': overview.dropsLastHour }}
      >
        {/* No rate here: divided by the hour, a fresh install's minutes of data read as a calm hour (issue 19); the path page gives drops per hour of data. */}
        ended in the hour by anything but the probe
      </Tile>
      <Tile
        testId="tile-upgrades"
        label={`Upgrade success · ${windowLabel}`}
        value={formatPercent(overview.upgradeSuccessRatio)}
        tone={overview.upgradeSuccessRatio !== null && overview.upgradeSuccessRatio < 1 ? 'warn' : undefined}
        data={{ 'data-attempts': attempts, 'data-upgrades': upgrades101 }}
      >
        {attempts === 0 ? `no attempts in the last ${windowLabel}` : `${upgrades101} of ${attempts} ${attempts === 1 ? 'attempt' : 'attempts'} got 101`}
      </Tile>
      <Tile
        testId="tile-silent"
        label="Silent deaths · last hour"
        value={overview.silentDeathsLastHour}
        tone={overview.silentDeathsLastHour > 0 ? 'warn' : undefined}
        data={{ 'data-silent': overview.silentDeathsLastHour }}
      >
        no FIN, no reset: noticed by a pong deadline
      </Tile>
      <Tile testId="tile-rtt" label="Median RTT · last hour" value={overview.medianRttMs === null ? '—' : `${overview.medianRttMs < 10 ? overview.medianRttMs.toFixed(1) : Math.round(overview.medianRttMs)} ms`} data={{ 'data-rtt': overview.medianRttMs ?? -1 }}>
        {overview.medianRttMs === null ? 'no heartbeat or echo samples' : 'ping to pong, heartbeat and echo canaries'}
      </Tile>
      <Tile testId="tile-probes" label="Probes" value={overview.probes} data={{ 'data-probes': overview.probes }}>
        registered, not revoked
      </Tile>
    </section>
  );
}

function Tile(props: {
  testId: string;
  label: string;
  value: number | string;
  tone?: 'alert' | 'warn' | undefined;
  data: Record<`data-${string}`, number>;
  children: ReactNode;
}) {
  return (
    <div className="tile" data-testid={props.testId} data-tone={props.tone} {...props.data}>
      <div className="tile-label">{props.label}</div>
      <div className="tile-value">{props.value}</div>
      <div className="tile-note">{props.children}</div>
    </div>
  );
}
