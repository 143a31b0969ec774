'use client';
/** RTT p50 and p95 over time, read back from the per-minute bucket rollup; drag across it to zoom the page. */
import { CartesianGrid, Legend, Line, LineChart, Tooltip, XAxis, YAxis, type TooltipContentProps } from 'recharts';
import { formatInstant, zoneLabel, type TimeZoneMode } from '../../lib/dashboard/time';
import { useBrushZoom } from '../dashboard/brush-zoom';
import { useTimeZone } from '../dashboard/time-zone';
import type { RttPoint } from '../../lib/paths/types';
import { formatDurationShort } from '../../lib/overview/format';
import { ms } from './format';
import css from './paths.module.css';

interface Row {
  t: number;
  p50: number | null;
  p95: number | null;
  count: number;
}

export function RttChart({ points, bucketMs }: { points: RttPoint[]; bucketMs: number }) {
  const tz = useTimeZone();
  const brush = useBrushZoom();
  const rows: Row[] = points.map((p) => ({ t: Date.parse(p.at), p50: p.p50Ms, p95: p.p95Ms, count: p.count }));
  const samples = points.reduce((n, p) => n + p.count, 0);
  const multiDay = rows.length > 1 && rows.at(-1)!.t - rows[0]!.t > 86_400_000;
  const tick = (t: number) => (multiDay ? formatInstant(t, tz, 'datetime').slice(5) : formatInstant(t, tz, 'minute'));
  return (
    <section className={`card ${css.charts}`} aria-label="Round-trip time" data-testid="rtt-chart" data-points={rows.length} data-samples={samples}>
      <header className="card-header">
        <h2>RTT p50 / p95</h2>
        <div className="card-meta">{samples > 0 ? `${samples} pings · points of ${formatDurationShort(bucketMs)} · ${zoneLabel(tz)} · drag to zoom` : null}</div>
      </header>
      {rows.length === 0 ? (
        <p className={css.placeholder}>No RTT samples in this range. Heartbeat and echo profiles measure RTT; idle and ladder canaries stay silent on purpose.</p>
      ) : (
        <div {...brush.wrapper} data-testid="rtt-chart-brush">
          <LineChart responsive data={rows} style={{ width: '100%', height: 240 }} margin={{ top: 8, right: 12, bottom: 4, left: 0 }}>
            <CartesianGrid vertical={false} stroke="var(--grid)" />
            <XAxis type="number" dataKey="t" scale="time" domain={['dataMin', 'dataMax']} tickFormatter={tick} stroke="var(--muted)" tick={{ fill: 'var(--muted)', fontSize: 12 }} />
            <YAxis width={56} tickFormatter={(v: number) => `${v < 10 ? v.toFixed(1) : Math.round(v)} ms`} stroke="var(--muted)" tick={{ fill: 'var(--muted)', fontSize: 12 }} />
            <Tooltip content={(p: TooltipContentProps) => <RttTooltip {...p} tz={tz} />} />
            <Legend wrapperStyle={{ fontSize: 12, color: 'var(--muted)' }} />
            <Line type="monotone" dataKey="p50" name="p50" stroke="var(--rtt-p50)" strokeWidth={2} dot={rows.length < 3} connectNulls isAnimationActive={false} />
            <Line type="monotone" dataKey="p95" name="p95" stroke="var(--rtt-p95)" strokeWidth={2} strokeDasharray="5 3" dot={rows.length < 3} connectNulls isAnimationActive={false} />
            {brush.layer}
          </LineChart>
        </div>
      )}
    </section>
  );
}

function RttTooltip({ active, payload, tz }: TooltipContentProps & { tz: TimeZoneMode }) {
  const row = payload?.[0]?.payload as Row | undefined;
  if (!active || !row) return null;
  return (
    <div className="chart-tooltip">
      <div className="chart-tooltip-title">
        {formatInstant(row.t, tz, 'datetime')} {zoneLabel(tz)}
      </div>
      <div>p50 {ms(row.p50)}</div>
      <div>p95 {ms(row.p95)}</div>
      <div>{row.count} pings</div>
    </div>
  );
}
