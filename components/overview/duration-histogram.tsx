'use client';
/**
 * How long canaries lived before they ended, binned by the server. A proxy or load balancer
 * that kills idle or long connections after a fixed time shows up as one tall bar of drops.
 */
import { Bar, BarChart, CartesianGrid, Tooltip, XAxis, YAxis, type TooltipContentProps } from 'recharts';
import { formatDurationShort, formatWindow } from '../../lib/overview/format';
import { axisRoom, edgeTicks } from '../../lib/overview/histogram-bins';
import type { DurationHistogram as Histogram } from '../../lib/overview/overview';

interface Row {
  startMs: number;
  /** Where the bar is centred on the numeric axis, so it spans exactly its bin. */
  midMs: number;
  drops: number;
  closed: number;
}

export function DurationHistogram({ histogram, windowMs }: { histogram: Histogram; windowMs: number }) {
  const { bins, binWidthMs } = histogram;
  const total = bins.reduce((n, b) => n + b.count, 0);
  const drops = bins.reduce((n, b) => n + b.drops, 0);
  const rows: Row[] = bins.map((b) => ({ startMs: b.startMs, midMs: b.startMs + binWidthMs / 2, drops: b.drops, closed: b.count - b.drops }));
  const ticks = edgeTicks(binWidthMs, bins.length);
  const peak = bins.reduce<(typeof bins)[number] | null>((best, b) => (b.drops > (best?.drops ?? 0) ? b : best), null);
  const range = (startMs: number) => `${formatDurationShort(startMs)} – ${formatDurationShort(startMs + binWidthMs)}`;

  return (
    <section
      className="card histogram"
      data-testid="duration-histogram"
      data-bin-count={bins.length}
      data-bin-width-ms={binWidthMs}
      data-total={total}
      data-drops={drops}
      aria-label="Connection durations"
    >
      <header className="card-header">
        <h2>Connection durations · {formatWindow(windowMs)}</h2>
        <div className="card-meta">
          {total === 0 ? null : (
            <>
              {total} ended · {drops} dropped · bins of {formatDurationShort(binWidthMs)}
            </>
          )}
        </div>
      </header>
      {total === 0 ? (
        <p className="placeholder">No canary has ended in the last {formatWindow(windowMs)}.</p>
      ) : (
        <>
          {peak ? (
            <p className="histogram-peak">
              Most drops: <strong>{formatDurationShort(peak.startMs + binWidthMs / 2)}</strong> ± {formatDurationShort(binWidthMs / 2)} ({peak.drops} of {drops})
            </p>
          ) : null}
          <BarChart
            responsive
            className="histogram-chart"
            style={{ width: '100%', height: 280 }}
            data={rows}
            margin={{ top: 8, right: 8, bottom: 4, left: 0 }}
            barCategoryGap={1}
          >
            <CartesianGrid vertical={false} stroke="var(--grid)" />
            <XAxis
              dataKey="midMs"
              type="number"
              domain={[-binWidthMs / 2, binWidthMs * bins.length - binWidthMs / 2 + axisRoom(0, binWidthMs * bins.length)]}
              ticks={ticks}
              tickFormatter={formatDurationShort}
              stroke="var(--muted)"
              tick={{ fill: 'var(--muted)', fontSize: 12 }}
            />
            <YAxis allowDecimals={false} width={36} stroke="var(--muted)" tick={{ fill: 'var(--muted)', fontSize: 12 }} />
            <Tooltip content={(p: TooltipContentProps) => <BinTooltip {...p} range={range} />} cursor={{ fill: 'var(--hover)' }} />
            <Bar dataKey="drops" name="dropped" stackId="ended" fill="var(--drop)" isAnimationActive={false} />
            <Bar dataKey="closed" name="closed by probe" stackId="ended" fill="var(--closed)" isAnimationActive={false} />
          </BarChart>
          <ul className="legend" aria-hidden="true">
            <li><span className="swatch swatch-drop" /> dropped</li>
            <li><span className="swatch swatch-closed" /> closed by the probe</li>
          </ul>
        </>
      )}
    </section>
  );
}

function BinTooltip({ active, payload, range }: TooltipContentProps & { range: (startMs: number) => string }) {
  const row = payload?.[0]?.payload as Row | undefined;
  if (!active || !row) return null;
  return (
    <div className="chart-tooltip">
      <div className="chart-tooltip-title">{range(row.startMs)}</div>
      <div>{row.drops} dropped</div>
      <div>{row.closed} closed by the probe</div>
    </div>
  );
}
