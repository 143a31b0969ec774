'use client';
/** Attempts per bucket (bars) and the share answered 101 (line), over the selected range. */
import { Bar, CartesianGrid, ComposedChart, Line, Tooltip, XAxis, YAxis, type TooltipContentProps } from 'recharts';
import type { HandshakeBucket } from '../../lib/handshakes/report';
import { formatPercent } from '../../lib/overview/format';

interface Row extends HandshakeBucket {
  t: number;
  pct: number | null;
}

export function RatioChart({ series, bucketMs }: { series: readonly HandshakeBucket[]; bucketMs: number }) {
  const rows: Row[] = series.map((b) => ({ ...b, t: Date.parse(b.at), pct: b.ratio === null ? null : b.ratio * 100 }));
  const label = (t: number) => {
    const iso = new Date(t).toISOString();
    return bucketMs >= 86_400_000 ? iso.slice(5, 10) : bucketMs >= 3_600_000 ? `${iso.slice(5, 10)} ${iso.slice(11, 16)}` : iso.slice(11, 16);
  };
  return (
    <ComposedChart responsive style={{ width: '100%', height: 280 }} data={rows} margin={{ top: 8, right: 8, bottom: 4, left: 0 }}>
      <CartesianGrid vertical={false} stroke="var(--grid)" />
      <XAxis dataKey="t" type="number" domain={['dataMin', 'dataMax']} tickFormatter={label} stroke="var(--muted)" tick={{ fill: 'var(--muted)', fontSize: 12 }} />
      <YAxis yAxisId="pct" domain={[0, 100]} ticks={[0, 25, 50, 75, 100]} tickFormatter={(v: number) => `${v}%`} width={44} stroke="var(--muted)" tick={{ fill: 'var(--muted)', fontSize: 12 }} />
      <YAxis yAxisId="n" orientation="right" allowDecimals={false} width={40} stroke="var(--muted)" tick={{ fill: 'var(--muted)', fontSize: 12 }} />
      <Tooltip content={(p: TooltipContentProps) => <BucketTooltip {...p} fmt={label} />} cursor={{ fill: 'var(--hover)' }} />
      <Bar yAxisId="n" dataKey="attempts" name="attempts" fill="var(--closed)" isAnimationActive={false} />
      <Line yAxisId="pct" dataKey="pct" name="101 share" stroke="var(--accent)" strokeWidth={2} dot={rows.length <= 40} connectNulls={false} isAnimationActive={false} />
    </ComposedChart>
  );
}

function BucketTooltip({ active, payload, fmt }: TooltipContentProps & { fmt: (t: number) => string }) {
  const row = payload?.[0]?.payload as Row | undefined;
  if (!active || !row) return null;
  return (
    <div className="chart-tooltip">
      <div className="chart-tooltip-title">{fmt(row.t)} UTC</div>
      <div>
        {row.upgrades} of {row.attempts} upgraded ({formatPercent(row.ratio)})
      </div>
    </div>
  );
}
