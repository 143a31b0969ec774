'use client';
/** Attempts per bucket (bars) and the share answered 101 (line), over the selected range; drag across it to zoom the page. */
import { Bar, CartesianGrid, ComposedChart, Line, Tooltip, XAxis, YAxis, type TooltipContentProps } from 'recharts';
import { formatInstant, zoneLabel, type TimeZoneMode } from '../../lib/dashboard/time';
import { useBrushZoom } from '../dashboard/brush-zoom';
import { useTimeZone } from '../dashboard/time-zone';
import type { HandshakeBucket } from '../../lib/handshakes/report';
import { formatPercent } from '../../lib/overview/format';

interface Row extends HandshakeBucket {
  t: number;
  pct: number | null;
}

export function RatioChart({ series, bucketMs }: { series: readonly HandshakeBucket[]; bucketMs: number }) {
  const tz = useTimeZone();
  const brush = useBrushZoom();
  const rows: Row[] = series.map((b) => ({ ...b, t: Date.parse(b.at), pct: b.ratio === null ? null : b.ratio * 100 }));
  const label = (t: number) => bucketLabel(t, bucketMs, tz);
  const first = rows[0]?.t ?? 0;
  const last = rows.at(-1)?.t ?? 0;
  const ticks = roundTicks(first, last);
  // Without a dot, a point whose neighbours have no attempts draws nothing (the line has no
  // segment there): sparse traffic left the ratio invisible. Dots on every point while few.
  const isolated = (i: number) => rows[i]?.pct != null && rows[i - 1]?.pct == null && rows[i + 1]?.pct == null;
  const dot = (p: { index?: number; cx?: number; cy?: number }) =>
    (rows.length <= 40 || isolated(p.index ?? -1)) && p.cx !== undefined && p.cy !== undefined ? (
      <circle key={p.index} cx={p.cx} cy={p.cy} r={3} fill="var(--accent)" stroke="var(--surface)" strokeWidth={1} />
    ) : (
      <g key={p.index} />
    );
  return (
    <div {...brush.wrapper} data-testid="ratio-chart-brush">
      <ComposedChart responsive style={{ width: '100%', height: 280 }} data={rows} margin={{ top: 8, right: 8, bottom: 4, left: 0 }}>
        <CartesianGrid vertical={false} stroke="var(--grid)" />
        {/* Half a bucket either side: the first and last bars are not cut in half by the axes. */}
        <XAxis dataKey="t" type="number" domain={[first - bucketMs / 2, last + bucketMs / 2]} ticks={ticks} tickFormatter={label} stroke="var(--muted)" tick={{ fill: 'var(--muted)', fontSize: 12 }} />
        <YAxis yAxisId="pct" domain={[0, 100]} ticks={[0, 25, 50, 75, 100]} tickFormatter={(v: number) => `${v}%`} width={44} stroke="var(--muted)" tick={{ fill: 'var(--muted)', fontSize: 12 }} />
        <YAxis yAxisId="n" orientation="right" allowDecimals={false} width={40} stroke="var(--muted)" tick={{ fill: 'var(--muted)', fontSize: 12 }} />
        <Tooltip content={(p: TooltipContentProps) => <BucketTooltip {...p} fmt={(t) => `${label(t)} ${zoneLabel(tz)}`} />} cursor={{ fill: 'var(--hover)' }} />
        <Bar yAxisId="n" dataKey="attempts" name="attempts" fill="var(--closed)" isAnimationActive={false} />
        <Line yAxisId="pct" dataKey="pct" name="101 share" stroke="var(--accent)" strokeWidth={2} dot={dot} activeDot={{ r: 4 }} connectNulls={false} isAnimationActive={false} />
        {brush.layer}
      </ComposedChart>
    </div>
  );
}

function BucketTooltip({ active, payload, fmt }: TooltipContentProps & { fmt: (t: number) => string }) {
  const row = payload?.[0]?.payload as Row | undefined;
  if (!active || !row) return null;
  return (
    <div className="chart-tooltip">
      <div className="chart-tooltip-title">{fmt(row.t)}</div>
      <div>
        {row.upgrades} of {row.attempts} upgraded ({formatPercent(row.ratio)})
      </div>
    </div>
  );
}

/** A bucket's axis label in `tz`: dates once buckets are days; times of day below that, with the date at midnight and for hourly buckets. */
export function bucketLabel(t: number, bucketMs: number, tz: TimeZoneMode, zone?: string): string {
  const full = formatInstant(t, tz, 'datetime', zone);
  const day = full.slice(5, 10);
  const time = full.slice(11, 16);
  if (bucketMs >= 86_400_000) return day;
  return time === '00:00' || bucketMs >= 3_600_000 ? `${day} ${time}` : time;
}

const TICK_STEPS = [60_000, 300_000, 900_000, 1_800_000, 3_600_000, 3 * 3_600_000, 6 * 3_600_000, 12 * 3_600_000, 86_400_000, 7 * 86_400_000];

/** At most 8 ticks on round UTC instants (every 3 h, every day ...), not on the first bucket. */
function roundTicks(from: number, to: number): number[] {
  const step = TICK_STEPS.find((s) => (to - from) / s <= 8) ?? Math.ceil((to - from) / 8 / 86_400_000) * 86_400_000;
  const out: number[] = [];
  for (let t = Math.ceil(from / step) * step; t <= to; t += step) out.push(t);
  return out;
}
