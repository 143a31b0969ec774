'use client';
/**
 * One bar per session, from its opening to its end (or now), newest at the top, coloured
 * by how it ended; dashed vertical lines mark egress address changes. Times in the URL's
 * zone (`tz`); drag across the chart to zoom the page into that time.
 */
import { Bar, BarChart, Cell, CartesianGrid, ReferenceLine, Tooltip, XAxis, YAxis, type TooltipContentProps } from 'recharts';
import { formatInstant, timeAxisTick, zoneLabel, type TimeZoneMode } from '../../lib/dashboard/time';
import { formatDurationPrecise } from '../../lib/overview/format';
import { useBrushZoom } from '../dashboard/brush-zoom';
import { useTimeZone } from '../dashboard/time-zone';
import { timelineDomain } from '../../lib/paths/timeline-domain';
import type { EgressChange, TimelineBar } from '../../lib/paths/types';
import { END_GROUPS, endGroup, type EndGroup } from './end-kinds';
import css from './paths.module.css';

interface Row {
  id: string;
  span: [number, number];
  group: EndGroup;
  bar: TimelineBar;
}

export function PathTimeline({ sessions, total, limit, egressChanges, from, to, now }: { sessions: TimelineBar[]; total: number; limit: number; egressChanges: EgressChange[]; from: string; to: string; now: string }) {
  const tz = useTimeZone();
  const brush = useBrushZoom();
  const end = Math.min(Date.parse(to), Date.parse(now));
  const rows: Row[] = sessions.map((b) => ({
    id: b.id,
    span: [Date.parse(b.openedAt), b.endedAt ? Date.parse(b.endedAt) : end],
    group: endGroup(b.endedAt, b.endKind),
    bar: b,
  }));
  const [start, stop] = timelineDomain(rows.map((r) => r.span), Date.parse(from), end);
  const multiDay = stop - start > 86_400_000;
  // Thick bars while there are few; at most 640 px however many.
  const perRow = rows.length <= 30 ? 14 : rows.length <= 100 ? 6 : 2;
  const height = Math.min(640, Math.max(160, rows.length * perRow + 50));
  const changes = egressChanges.filter((c) => Date.parse(c.at) >= start && Date.parse(c.at) <= stop);

  return (
    <section className={`card ${css.charts}`} aria-label="Connection lifetimes" data-testid="path-timeline" data-bars={rows.length} data-egress-changes={changes.length}>
      <header className="card-header">
        <h2>Connection lifetimes</h2>
        <div className="card-meta">
          {total > limit ? `newest ${limit} of ${total} sessions` : `${total} sessions`} · {zoneLabel(tz)} · drag to zoom
        </div>
      </header>
      {rows.length === 0 ? (
        <p className={css.placeholder}>No connection was open in this range. Widen the range, or check the probe on the Probes page.</p>
      ) : (
        <>
          <div {...brush.wrapper} data-testid="path-timeline-brush">
            <BarChart responsive layout="vertical" data={rows} style={{ width: '100%', height }} margin={{ top: 16, right: 12, bottom: 4, left: 0 }} barCategoryGap={0.5}>
              <CartesianGrid horizontal={false} stroke="var(--grid)" />
              <XAxis
                type="number"
                dataKey="span"
                domain={[start, stop]}
                scale="time"
                allowDataOverflow
                tickFormatter={(t: number) => timeAxisTick(t, tz, multiDay)}
                stroke="var(--muted)"
                tick={{ fill: 'var(--muted)', fontSize: 12 }}
              />
              <YAxis type="category" dataKey="id" hide />
              <Tooltip content={(p: TooltipContentProps) => <BarTooltip {...p} tz={tz} />} cursor={{ fill: 'var(--hover)' }} />
              <Bar dataKey="span" isAnimationActive={false} minPointSize={2}>
                {rows.map((r) => (
                  <Cell key={r.id} fill={END_GROUPS.find((g) => g.key === r.group)!.colour} />
                ))}
              </Bar>
              {/* Numbered, not labelled with the address: nearby changes would print over each other. The list below says what changed. */}
              {changes.map((c, i) => (
                <ReferenceLine key={`${c.probe}-${c.at}`} x={Date.parse(c.at)} stroke="var(--accent)" strokeDasharray="4 3" label={{ value: String(i + 1), position: 'top', fill: 'var(--accent)', fontSize: 11 }} />
              ))}
              {brush.layer}
            </BarChart>
          </div>
          <ul className={css.legend} aria-label="Timeline legend">
            {END_GROUPS.map((g) => (
              <li key={g.key}>
                <span className={css.swatch} style={{ background: g.colour }} /> {g.label}
              </li>
            ))}
            <li>
              <span className={css.swatch} style={{ background: 'transparent', borderLeft: '2px dashed var(--accent)' }} /> egress address changed
              {egressChanges.length > 0 ? ` (${egressChanges.length})` : ''}
            </li>
          </ul>
          {changes.length > 0 && (
            <ol className={css.changes} aria-label="Egress address changes" data-testid="egress-changes">
              {changes.slice(0, 12).map((c, i) => (
                <li key={`${c.probe}-${c.at}`}>
                  <span className={css.changeNo}>{i + 1}</span> {formatInstant(c.at, tz, 'clock')} {c.probe}: {c.previous} → {c.address}
                </li>
              ))}
              {changes.length > 12 && <li>and {changes.length - 12} more</li>}
            </ol>
          )}
        </>
      )}
    </section>
  );
}

function BarTooltip({ active, payload, tz }: TooltipContentProps & { tz: TimeZoneMode }) {
  const row = payload?.[0]?.payload as Row | undefined;
  if (!active || !row) return null;
  const b = row.bar;
  return (
    <div className="chart-tooltip">
      <div className="chart-tooltip-title">{b.id}</div>
      <div>
        {b.probe} · {b.profile}
      </div>
      <div>
        opened {formatInstant(b.openedAt, tz, 'clock')} {zoneLabel(tz)}
      </div>
      <div>{b.endedAt ? `${b.endKind ?? 'ended'}${b.closeCode ? ` (${b.closeCode})` : ''} after ${formatDurationPrecise(row.span[1] - row.span[0])}` : `open for ${formatDurationPrecise(row.span[1] - row.span[0])}`}</div>
      {b.egressAddress && <div>egress {b.egressAddress}</div>}
    </div>
  );
}
