'use client';
/**
 * A histogram of drops binned by the server, with the analysis' signatures drawn over it:
 * a shaded band over the bins of each cluster and a line at its N, labelled with N, the
 * count and the verdict. Clicking a band selects the cluster (its sessions are listed);
 * clicking a bar selects the bar (its sessions are listed, components/drops/bin-sessions.tsx).
 * An outlier does not squash the axis: past a robust bound, the rest is one overflow bar
 * marked "> X" (lib/drops/histogram-view.ts).
 */
import { Bar, BarChart, CartesianGrid, Cell, ReferenceArea, ReferenceLine, Tooltip, XAxis, YAxis, type TooltipContentProps } from 'recharts';
import { formatDurationShort } from '../../lib/overview/format';
import { axisRoom, centredBin, edgeTicks } from '../../lib/overview/histogram-bins';
import type { ClusterSignature, DropHistogram as Histogram } from '../../lib/drops/report';
import type { YScale } from '../../lib/drops/query';
import type { BarSelection } from '../../lib/drops/bin-sessions';
import { binBar, formatBinEdge, formatBinRange, histogramView, isSelected, overflowBar } from '../../lib/drops/histogram-view';
import styles from './drops.module.css';
import drill from './bin-sessions.module.css';
import { barKeys } from './bar-keys';

interface Row {
  startMs: number;
  midMs: number;
  count: number;
  /** What the bar draws: a zero bin has no bar on a log scale. */
  value: number | null;
  /** The overflow bar: everything from startMs on (to maxMs, the longest). */
  overflow?: { maxMs: number };
}

export interface DropHistogramProps {
  id: string;
  title: string;
  note: string;
  histogram: Histogram;
  binWidthMs: number;
  scale: YScale;
  signatures: readonly ClusterSignature[];
  selectedKey: string | null;
  onSelect: (sig: ClusterSignature) => void;
  /** The measure this histogram's bars select (`age` or `idle`). */
  measure: 'age' | 'idle';
  /** The bar whose sessions are listed (from the URL), if it is one of this histogram's. */
  selectedBar: BarSelection | null;
  onBar: (bar: BarSelection) => void;
  empty: string;
}

export function DropHistogram(props: DropHistogramProps) {
  const { histogram, binWidthMs: w, scale, signatures } = props;
  // Clipped past a robust bound, never before a signature's last member.
  const view = histogramView(histogram.bins, w, { keepMs: signatures.map((g) => g.maxMs) });
  const valueOf = (count: number) => (scale === 'log' && count === 0 ? null : count);
  const rows: Row[] = view.shown.map((b) => ({ startMs: b.startMs, midMs: b.midMs, count: b.count, value: valueOf(b.count) }));
  const over = view.overflow;
  if (over) rows.push({ startMs: over.fromMs, midMs: over.midMs, count: over.count, value: valueOf(over.count), overflow: { maxMs: over.maxMs } });
  const shownCount = view.shown.length;
  const lo = view.lo;
  const hi = view.hi;
  const clipAt = over?.fromMs ?? null;
  // Dense from the bin centred on 0: ticks on bin centres, every round step; the overflow bar gets its own.
  const baseTicks = histogram.dense && lo === -w / 2 ? edgeTicks(w, shownCount) : undefined;
  const ticks = baseTicks && over ? [...baseTicks, over.midMs] : baseTicks;
  const tickText = (v: number) => (clipAt !== null && v > clipAt ? `> ${formatBinEdge(clipAt)}` : formatDurationShort(v));
  const max = rows.reduce((m, r) => Math.max(m, r.count), 0);
  const logMax = Math.max(2, max * 2);
  // Only ticks inside the domain: one above it is drawn in the margin, over the labels.
  const logTicks = [1, 10, 100, 1000, 10_000, 100_000, 1_000_000].filter((t) => t <= logMax);
  const barOf = (r: Row) => (r.overflow ? overflowBar(props.measure, r.startMs) : binBar(props.measure, r.startMs, w));
  const selectedRow = (r: Row) => isSelected(props.selectedBar, props.measure, r.startMs, r.overflow ? null : r.startMs + w);
  // A band at least 1% of the axis wide, so a tight cluster still shows beside its bar.
  const minBand = (hi - lo) / 100;
  const bands = signatures.map((g) => {
    // From the start of the bin holding the first drop to the end of the one holding the last.
    let x1 = Math.max(lo, (centredBin(g.minMs, w) - 0.5) * w);
    let x2 = Math.min(clipAt ?? hi, (centredBin(g.maxMs, w) + 0.5) * w);
    if (x2 - x1 < minBand) {
      const mid = (x1 + x2) / 2;
      x1 = Math.max(lo, mid - minBand / 2);
      x2 = Math.min(hi, mid + minBand / 2);
    }
    return { g, x1, x2 };
  });
  // Bars holding a signature's drops in full colour, the rest muted: the eye finds N first.
  const inSignature = (r: Row) => !r.overflow && signatures.some((g) => r.startMs + w > g.minMs && r.startMs <= g.maxMs);

  return (
    <section
      className={`card ${styles.histogram}`}
      data-testid={`${props.id}-histogram`}
      data-total={histogram.total}
      data-bin-count={rows.length}
      data-bin-width-ms={w}
      data-scale={scale}
      data-signatures={signatures.length}
      data-clip-ms={clipAt ?? ''}
      data-overflow-count={over?.count ?? 0}
      aria-label={props.title}
    >
      <header className="card-header">
        <h2>{props.title}</h2>
        <span className="card-meta">
          {histogram.total} drops · bins of {formatDurationShort(w)}
        </span>
      </header>
      <p className={styles.note}>
        {props.note} Click a bar to list its drops.
      </p>
      {histogram.total === 0 ? (
        <p className="placeholder">{props.empty}</p>
      ) : (
        <BarChart responsive className={drill.clickable} style={{ width: '100%', height: 300 }} data={rows} margin={{ top: 62, right: 12, bottom: 4, left: 0 }} barCategoryGap={0}>
          <CartesianGrid vertical={false} stroke="var(--grid)" />
          <XAxis
            dataKey="midMs"
            type="number"
            domain={[lo, hi + axisRoom(lo, hi)]}
            ticks={ticks}
            tickFormatter={tickText}
            stroke="var(--muted)"
            tick={{ fill: 'var(--muted)', fontSize: 12 }}
            allowDataOverflow
          />
          {scale === 'log' ? (
            <YAxis scale="log" domain={[0.5, logMax]} ticks={logTicks} allowDataOverflow width={48} stroke="var(--muted)" tick={{ fill: 'var(--muted)', fontSize: 12 }} />
          ) : (
            <YAxis allowDecimals={false} width={48} stroke="var(--muted)" tick={{ fill: 'var(--muted)', fontSize: 12 }} />
          )}
          {bands.map(({ g, x1, x2 }, i) => {
            const selected = g.key === props.selectedKey;
            return (
              <ReferenceArea
                key={`area-${g.key}`}
                x1={x1}
                x2={x2}
                ifOverflow="hidden"
                fill="var(--drop)"
                fillOpacity={selected ? 0.28 : 0.12}
                stroke="var(--drop)"
                strokeOpacity={selected ? 0.9 : 0.4}
                strokeDasharray={selected ? undefined : '3 3'}
                onClick={() => props.onSelect(g)}
                style={{ cursor: 'pointer' }}
                label={<SignatureLabel sig={g} row={i} rightHalf={(x1 + x2) / 2 > (lo + hi) / 2} />}
              />
            );
          })}
          {signatures.map((g) => (
            <ReferenceLine key={`line-${g.key}`} x={g.nMs} ifOverflow="hidden" stroke="var(--drop)" strokeDasharray="4 2" />
          ))}
          {clipAt !== null && <ReferenceLine x={clipAt + w / 2} stroke="var(--muted)" strokeDasharray="2 3" label={{ value: '≫', position: 'insideTop', fill: 'var(--muted)', fontSize: 12 }} />}
          <Tooltip content={(p: TooltipContentProps) => <BinTooltip {...p} widthMs={w} />} cursor={{ fill: 'var(--hover)' }} />
          <Bar
            dataKey="value"
            name="drops"
            fill="var(--drop)"
            isAnimationActive={false}
            minPointSize={0}
            onClick={(entry: unknown) => {
              const r = (entry as { payload?: Row } | undefined)?.payload;
              if (r && r.count > 0) props.onBar(barOf(r));
            }}
          >
            {rows.map((r) => (
              <Cell
                key={r.startMs}
                {...barKeys(r.count > 0, `${rangeText(r, w)}: ${r.count} ${r.count === 1 ? 'drop' : 'drops'}`, selectedRow(r), () => props.onBar(barOf(r)))}
                fill={r.overflow ? 'var(--muted)' : 'var(--drop)'}
                fillOpacity={r.overflow || signatures.length === 0 || inSignature(r) ? 1 : 0.5}
                stroke={selectedRow(r) ? 'var(--text)' : undefined}
                strokeWidth={selectedRow(r) ? 2 : 0}
                data-start-ms={r.startMs}
                data-overflow={r.overflow ? 'true' : undefined}
              />
            ))}
          </Bar>
        </BarChart>
      )}
      {over && (
        <p className={drill.overflowNote} data-testid={`${props.id}-overflow`}>
          Axis cut at <strong>{formatBinEdge(over.fromMs)}</strong>: {over.count} {over.count === 1 ? 'drop' : 'drops'} longer (up to {formatDurationShort(over.maxMs)}) in the grey bar
          marked “&gt; {formatBinEdge(over.fromMs)}”.
        </p>
      )}
    </section>
  );
}

const MAX_VERDICT = 56;

/** Two lines above the band: "60.0 s · 12 drops" and the verdict, cut to fit (full text on hover). */
function SignatureLabel(props: { sig: ClusterSignature; row: number; rightHalf: boolean; viewBox?: { x?: number; y?: number; width?: number; height?: number } }) {
  const { sig, viewBox } = props;
  const x = (viewBox?.x ?? 0) + (props.rightHalf ? viewBox?.width ?? 0 : 0);
  // Alternate two label rows above the plot, so neighbouring signatures do not overprint.
  const y = (viewBox?.y ?? 0) - 50 + (props.row % 2) * 28;
  const verdict = sig.verdict.length > MAX_VERDICT ? `${sig.verdict.slice(0, MAX_VERDICT - 1)}…` : sig.verdict;
  const anchor = props.rightHalf ? 'end' : 'start';
  return (
    <g className={styles.sigLabel} data-testid="signature-label" data-n={sig.nSeconds}>
      <title>{`${sig.nSeconds.toFixed(1)} s · ${sig.count} drops · ${sig.verdict}`}</title>
      <text x={x} y={y} textAnchor={anchor} fill="var(--drop)" fontSize={12} fontWeight={600}>
        {`${sig.nSeconds.toFixed(1)} s · ${sig.count} drops`}
      </text>
      <text x={x} y={y + 14} textAnchor={anchor} fill="var(--text)" fontSize={11}>
        {verdict}
      </text>
    </g>
  );
}

/** What a bar covers, in words: "19.5 s – 20.0 s", or "longer than 20.0 s (up to 9.7 min)". */
function rangeText(r: Row, widthMs: number): string {
  return r.overflow ? `${formatBinRange(r.startMs, null)} (up to ${formatDurationShort(r.overflow.maxMs)})` : formatBinRange(r.startMs, r.startMs + widthMs);
}

function BinTooltip({ active, payload, widthMs }: TooltipContentProps & { widthMs: number }) {
  const row = payload?.[0]?.payload as Row | undefined;
  if (!active || !row) return null;
  return (
    <div className="chart-tooltip">
      <div className="chart-tooltip-title">
        {rangeText(row, widthMs)}
      </div>
      <div>{row.count} drops</div>
      {row.count > 0 && <div className="muted">click to list them</div>}
    </div>
  );
}
