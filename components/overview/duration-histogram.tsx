'use client';
/**
 * How long canaries lived before they ended, binned by the server. A proxy or load balancer
 * that kills idle or long connections after a fixed time shows up as one tall bar of drops.
 *
 * Clicking a bar lists its sessions below (components/drops/bin-sessions.tsx), kept in the
 * URL as `bar=duration:<min>-<max>` and `barTo=<the instant the window ended>`, so a shared
 * link lists the same sessions. An outlier does not squash the axis: past a robust bound the
 * rest is one grey overflow bar marked "> X" (lib/drops/histogram-view.ts).
 */
import { useSearchParams } from 'next/navigation';
import { Bar, BarChart, CartesianGrid, Cell, ReferenceLine, Tooltip, XAxis, YAxis, type TooltipContentProps } from 'recharts';
import { formatBar, parseBar, type BarSelection } from '../../lib/drops/bin-sessions';
import { binBar, formatBinEdge, formatBinRange, histogramView, isSelected, overflowBar } from '../../lib/drops/histogram-view';
import { barKeys } from '../drops/bar-keys';
import { formatDurationShort, formatWindow } from '../../lib/overview/format';
import { axisRoom, edgeTicks } from '../../lib/overview/histogram-bins';
import type { DurationHistogram as Histogram } from '../../lib/overview/overview';
import { BinSessions } from '../drops/bin-sessions';
import drill from '../drops/bin-sessions.module.css';

interface Row {
  startMs: number;
  /** Where the bar is centred on the numeric axis, so it spans exactly its bin. */
  midMs: number;
  drops: number;
  closed: number;
  /** The overflow bar: everything from startMs on (to maxMs, the longest). */
  overflow?: { maxMs: number };
}

/** Replace the URL's query (no server round trip: the overview page reads no parameters). */
function pushQuery(change: Record<string, string | undefined>): void {
  const p = new URLSearchParams(window.location.search);
  for (const [k, v] of Object.entries(change)) {
    if (v === undefined) p.delete(k);
    else p.set(k, v);
  }
  const s = p.toString();
  window.history.pushState(null, '', `${window.location.pathname}${s ? `?${s}` : ''}`);
}

/**
 * The list's scope for a window of `windowMs` that ended at `barTo` (ISO): ended in
 * (barTo − window, barTo], as the histogram counts them; null for a malformed instant.
 */
export function overviewListScope(barTo: string | null, windowMs: number): string | null {
  const to = barTo ? Date.parse(barTo) : Number.NaN;
  if (!Number.isFinite(to) || windowMs <= 0) return null;
  return new URLSearchParams({ from: new Date(to - windowMs).toISOString(), to: new Date(to + 1).toISOString() }).toString();
}

export function DurationHistogram({ histogram, windowMs, at }: { histogram: Histogram; windowMs: number; at?: string }) {
  const { bins, binWidthMs } = histogram;
  const params = useSearchParams();
  const total = bins.reduce((n, b) => n + b.count, 0);
  const drops = bins.reduce((n, b) => n + b.drops, 0);
  const view = histogramView(bins, binWidthMs);
  const rows: Row[] = view.shown.map((b) => ({ startMs: b.startMs, midMs: b.midMs, drops: b.drops, closed: b.count - b.drops }));
  const over = view.overflow;
  if (over) {
    const overDrops = over.bins.reduce((n, b) => n + b.drops, 0);
    rows.push({ startMs: over.fromMs, midMs: over.midMs, drops: overDrops, closed: over.count - overDrops, overflow: { maxMs: over.maxMs } });
  }
  const clipAt = over?.fromMs ?? null;
  const baseTicks = edgeTicks(binWidthMs, view.shown.length);
  const ticks = over ? [...baseTicks, over.midMs] : baseTicks;
  const tickText = (v: number) => (clipAt !== null && v > clipAt ? `> ${formatBinEdge(clipAt)}` : formatDurationShort(v));
  const peak = bins.reduce<(typeof bins)[number] | null>((best, b) => (b.drops > (best?.drops ?? 0) ? b : best), null);
  const range = (r: Row) => (r.overflow ? `${formatBinRange(r.startMs, null)} (up to ${formatDurationShort(r.overflow.maxMs)})` : formatBinRange(r.startMs, r.startMs + binWidthMs));

  const parsed = parseBar(params.get('bar'));
  const bar = parsed?.measure === 'duration' ? parsed : null;
  const listScope = bar ? overviewListScope(params.get('barTo'), windowMs) : null;
  const selectBar = (b: BarSelection) => pushQuery({ bar: formatBar(b), barTo: at ?? new Date().toISOString() });
  const barOf = (r: Row) => (r.overflow ? overflowBar('duration', r.startMs) : binBar('duration', r.startMs, binWidthMs));
  const selectedRow = (r: Row) => isSelected(bar, 'duration', r.startMs, r.overflow ? null : r.startMs + binWidthMs);
  const click = (entry: unknown) => {
    const r = (entry as { payload?: Row } | undefined)?.payload;
    if (r && r.drops + r.closed > 0) selectBar(barOf(r));
  };

  return (
    <>
      <section
        className="card histogram"
        data-testid="duration-histogram"
        data-bin-count={bins.length}
        data-bin-width-ms={binWidthMs}
        data-total={total}
        data-drops={drops}
        data-clip-ms={clipAt ?? ''}
        data-overflow-count={over?.count ?? 0}
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
              className={`histogram-chart ${drill.clickable}`}
              style={{ width: '100%', height: 280 }}
              data={rows}
              margin={{ top: 8, right: 8, bottom: 4, left: 0 }}
              barCategoryGap={1}
            >
              <CartesianGrid vertical={false} stroke="var(--grid)" />
              <XAxis
                dataKey="midMs"
                type="number"
                domain={[view.lo, view.hi + axisRoom(view.lo, view.hi)]}
                ticks={ticks}
                tickFormatter={tickText}
                stroke="var(--muted)"
                tick={{ fill: 'var(--muted)', fontSize: 12 }}
              />
              <YAxis allowDecimals={false} width={36} stroke="var(--muted)" tick={{ fill: 'var(--muted)', fontSize: 12 }} />
              {clipAt !== null && <ReferenceLine x={clipAt + binWidthMs / 2} stroke="var(--muted)" strokeDasharray="2 3" label={{ value: '≫', position: 'insideTop', fill: 'var(--muted)', fontSize: 12 }} />}
              <Tooltip content={(p: TooltipContentProps) => <BinTooltip {...p} range={range} />} cursor={{ fill: 'var(--hover)' }} />
              <Bar dataKey="drops" name="dropped" stackId="ended" fill="var(--drop)" isAnimationActive={false} onClick={click}>
                {rows.map((r) => (
                  <Cell key={r.startMs} {...barKeys(r.drops > 0, `${range(r)}: ${r.drops} dropped, ${r.closed} closed by the probe`, selectedRow(r), () => selectBar(barOf(r)))} fill="var(--drop)" fillOpacity={r.overflow ? 0.6 : 1} stroke={selectedRow(r) ? 'var(--text)' : undefined} strokeWidth={selectedRow(r) ? 2 : 0} data-start-ms={r.startMs} data-overflow={r.overflow ? 'true' : undefined} />
                ))}
              </Bar>
              <Bar dataKey="closed" name="closed by probe" stackId="ended" fill="var(--closed)" isAnimationActive={false} onClick={click}>
                {rows.map((r) => (
                  <Cell key={r.startMs} {...barKeys(r.drops === 0 && r.closed > 0, `${range(r)}: ${r.closed} closed by the probe`, selectedRow(r), () => selectBar(barOf(r)))} fill="var(--closed)" fillOpacity={r.overflow ? 0.6 : 1} stroke={selectedRow(r) ? 'var(--text)' : undefined} strokeWidth={selectedRow(r) ? 2 : 0} data-start-ms={r.startMs} data-overflow={r.overflow ? 'true' : undefined} />
                ))}
              </Bar>
            </BarChart>
            <ul className="legend" aria-hidden="true">
              <li><span className="swatch swatch-drop" /> dropped</li>
              <li><span className="swatch swatch-closed" /> closed by the probe</li>
            </ul>
            {over ? (
              <p className={drill.overflowNote} data-testid="duration-overflow">
                Axis cut at <strong>{formatBinEdge(over.fromMs)}</strong>: {over.count} {over.count === 1 ? 'session' : 'sessions'} longer (up to {formatDurationShort(over.maxMs)}) in the faded bar marked “&gt; {formatBinEdge(over.fromMs)}”. Click a bar to list its sessions.
              </p>
            ) : (
              <p className={drill.overflowNote}>Click a bar to list its sessions.</p>
            )}
          </>
        )}
      </section>
      {bar && listScope && (
        <BinSessions bar={bar} kind="ended" scopeQuery={listScope} clearHref={clearHref(params)} onClose={() => pushQuery({ bar: undefined, barTo: undefined })} />
      )}
    </>
  );
}

/** The overview without the selected bar. */
function clearHref(params: URLSearchParams): string {
  const p = new URLSearchParams(params.toString());
  p.delete('bar');
  p.delete('barTo');
  const s = p.toString();
  return `/${s ? `?${s}` : ''}`;
}

function BinTooltip({ active, payload, range }: TooltipContentProps & { range: (r: Row) => string }) {
  const row = payload?.[0]?.payload as Row | undefined;
  if (!active || !row) return null;
  return (
    <div className="chart-tooltip">
      <div className="chart-tooltip-title">{range(row)}</div>
      <div>{row.drops} dropped</div>
      <div>{row.closed} closed by the probe</div>
      {row.drops + row.closed > 0 && <div className="muted">click to list them</div>}
    </div>
  );
}
