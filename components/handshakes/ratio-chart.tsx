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
    // Dates once a day boundary is in view; times of day below that.
    if (bucketMs >= 86_400_000) return iso.slice(5, 10);
    return iso.slice(11, 16) === '00:00' || bucketMs >= 3_600_000 ? `${iso.slice(5, 10)} ${iso.slice(11, 16)}` : iso.slice(11, 16);
  };
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
    <ComposedChart responsive style={{ width: '100%', height: 280 }} data={rows} margin={{ top: 8, right: 8, bottom: 4, left: 0 }}>
      <CartesianGrid vertical={false} stroke="var(--grid)" />
      {/* Half a bucket either side: the first and last bars are not cut in half by the axes. */}
      <XAxis dataKey="t" type="number" domain={[first - bucketMs / 2, last + bucketMs / 2]} ticks={ticks} tickFormatter={label} stroke="var(--muted)" tick={{ fill: 'var(--muted)', fontSize: 12 }} />
      <YAxis yAxisId="pct" domain={[0, 100]} ticks={[0, 25, 50, 75, 100]} tickFormatter={(v: number) => `${v}%`} width={44} stroke="var(--muted)" tick={{ fill: 'var(--muted)', fontSize: 12 }} />
      <YAxis yAxisId="n" orientation="right" allowDecimals={false} width={40} stroke="var(--muted)" tick={{ fill: 'var(--muted)', fontSize: 12 }} />
      <Tooltip content={(p: TooltipContentProps) => <BucketTooltip {...p} fmt={label} />} cursor={{ fill: 'var(--hover)' }} />
      <Bar yAxisId="n" dataKey="attempts" name="attempts" fill="var(--closed)" isAnimationActive={false} />
      <Line yAxisId="pct" dataKey="pct" name="101 share" stroke="var(--accent)" strokeWidth={2} dot={dot} activeDot={{ r: 4 }} connectNulls={false} isAnimationActive={false} />
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

const TICK_STEPS = [60_000, 300_000, 900_000, 1_800_000, 3_600_000, 3 * 3_600_000, 6 * 3_600_000, 12 * 3_600_000, 86_400_000, 7 * 86_400_000];

/** At most 8 ticks on round UTC instants (every 3 h, every day ...), not on the first bucket. */
function roundTicks(from: number, to: number): number[] {
  const step = TICK_STEPS.find((s) => (to - from) / s <= 8) ?? Math.ceil((to - from) / 8 / 86_400_000) * 86_400_000;
  const out: number[] = [];
  for (let t = Math.ceil(from / step) * step; t <= to; t += step) out.push(t);
  return out;
}
