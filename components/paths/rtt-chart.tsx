'use client';
/**
 * RTT p50 and p95 over time, read back from the per-minute bucket rollup; drag across it to
 * zoom the page. Straight lines between buckets with pings, broken where none were measured
 * (lib/paths/rtt-series.ts); a dot on every reading while they are few enough to see.
 */
import { CartesianGrid, Legend, Line, LineChart, Tooltip, XAxis, YAxis, type TooltipContentProps } from 'recharts';
import { formatInstant, timeAxisTick, zoneLabel, type TimeZoneMode } from '../../lib/dashboard/time';
import { useBrushZoom } from '../dashboard/brush-zoom';
import { useTimeZone } from '../dashboard/time-zone';
import { isolated, rttRows, type RttRow } from '../../lib/paths/rtt-series';
import type { RttPoint } from '../../lib/paths/types';
import { formatDurationShort } from '../../lib/overview/format';
import { ms } from './format';
import css from './paths.module.css';

/** Dots on every reading up to this many rows; past it, only on readings a line cannot show. */
const DOTS_UP_TO = 120;

export function RttChart({ points, bucketMs }: { points: RttPoint[]; bucketMs: number }) {
  const tz = useTimeZone();
  const brush = useBrushZoom();
  const rows = rttRows(points, bucketMs);
  const dot = (props: { cx?: number; cy?: number; index?: number; stroke?: string; value?: unknown }) =>
    props.cx === undefined || props.cy === undefined || props.value === null || props.value === undefined || (rows.length > DOTS_UP_TO && !isolated(rows, props.index ?? -1)) ? (
      <g key={`none-${props.index}`} />
    ) : (
      <circle key={`dot-${props.index}`} cx={props.cx} cy={props.cy} r={2.5} fill={props.stroke} stroke="none" />
    );
  const samples = points.reduce((n, p) => n + p.count, 0);
  const multiDay = rows.length > 1 && rows.at(-1)!.t - rows[0]!.t > 86_400_000;
  const tick = (t: number) => timeAxisTick(t, tz, multiDay);
  return (
    <section className={`card ${css.charts}`} aria-label="Round-trip time" data-testid="rtt-chart" data-points={points.length} data-samples={samples}>
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
            <Line type="linear" dataKey="p50" name="p50" stroke="var(--rtt-p50)" strokeWidth={2} dot={dot} connectNulls={false} isAnimationActive={false} />
            <Line type="linear" dataKey="p95" name="p95" stroke="var(--rtt-p95)" strokeWidth={2} strokeDasharray="5 3" dot={dot} connectNulls={false} isAnimationActive={false} />
            {brush.layer}
          </LineChart>
        </div>
      )}
    </section>
  );
}

function RttTooltip({ active, payload, tz }: TooltipContentProps & { tz: TimeZoneMode }) {
  const row = payload?.[0]?.payload as RttRow | undefined;
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
