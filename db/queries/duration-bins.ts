/**
 * The overview's duration histogram from its aggregate (db/schema.ts `duration_bins`): per
 * hour of ended_at and probe, the endings in the centred bins of every nice width a window
 * holding that hour could be drawn at. A window's width is chosen by its longest duration
 * (lib/overview/histogram-bins.ts `binWidthFor`), which is at least each hour's, so every
 * sealed hour holds the bins at that width: whole hours come from here, the rest from the
 * rows with the same expression, and the histogram equals the one counted from the rows.
 */
import { and, gte, isNotNull, lt, sql, type SQL } from 'drizzle-orm';
import { MAX_BINS, NICE_BIN_WIDTHS_MS, binWidthFor, clipBins, viewBinWidthFor } from '../../lib/overview/histogram-bins';
import type { DurationHistogram } from '../../lib/overview/overview';
import { splitWindow, type WindowPiece, type WindowSplit } from '../../lib/rollups/window-split';
import type { Executor } from '../client';
import { canarySessions as s, durationBins as db_, durationBinsDirty } from '../schema';
import { REPORT_BUCKET_MS, dirtyHours, type SealedAggregate } from './sealed-aggregate';
import { rowsOf, within } from './scope';

const WIDTHS = sql.raw(`array[${NICE_BIN_WIDTHS_MS.join(', ')}]::int[]`);

/** The centred bin of a duration at a width (an integer, inlined: the same expression in every part). */
const centred = (duration: SQL | typeof s.durationMs, width: SQL) => sql`floor(${duration} / ${width} + 0.5)::int`;

/** The aggregate of one (hour, probe): the widths with at most MAX_BINS bins up to the hour's longest duration. */
export function durationAggregate(bucket: Date, probeId: number): { columns: SQL; select: SQL } {
  const hour = and(gte(s.endedAt, bucket), lt(s.endedAt, new Date(bucket.getTime() + REPORT_BUCKET_MS)), isNotNull(s.endKind), isNotNull(s.durationMs), sql`${s.probeId} = ${probeId}`)!;
  return {
    columns: sql`bucket, probe_id, width_ms, bin, sessions, drops, max_ms`,
    select: sql`select ${bucket.toISOString()}::timestamptz, ${probeId}::int, w.width, ${centred(sql`e.d`, sql`w.width`)}, count(*)::int,
        (count(*) filter (where e.dropped))::int, m.mx
      from (select ${s.durationMs} as d, ${s.endKind} <> 'probe_closed' as dropped from ${s} where ${hour}) as e
      cross join (select max(${s.durationMs}) as mx from ${s} where ${hour}) as m
      cross join unnest(${WIDTHS}) as w(width)
      where floor(m.mx / w.width) + 1 <= ${sql.raw(String(MAX_BINS))}
      group by w.width, 4, m.mx`,
  };
}

export const DURATION_BINS: SealedAggregate = { name: 'duration_bins', lockClass: 0x0e_b1_77, table: db_, dirty: durationBinsDirty, aggregate: durationAggregate };

/** Rows ended in any of the pieces, with a duration. */
function rawEnded(pieces: readonly WindowPiece[]): SQL {
  const piece = (p: WindowPiece) =>
    sql`(${s.endedAt} ${sql.raw(p.fromOpen ? '>' : '>=')} ${p.from.toISOString()}::timestamptz and ${s.endedAt} ${sql.raw(p.toClosed ? '<=' : '<')} ${p.to.toISOString()}::timestamptz)`;
  return sql`(${sql.join(pieces.map(piece), sql` or `)}) and ${s.endKind} is not null and ${s.durationMs} is not null`;
}

/**
 * Sessions ended in (windowStart, now] with a duration, in centred bins of a width fitted to
 * the longest (dense from 0, so an empty stretch reads as empty).
 */
export async function durationHistogram(tx: Executor, windowStart: Date, now: Date): Promise<DurationHistogram> {
  let split = splitWindow(windowStart, now, REPORT_BUCKET_MS, await dirtyHours(tx, DURATION_BINS, windowStart, now));
  const longest = async (): Promise<number | null> => {
    const parts: SQL[] = [];
    if (split.sealed.length > 0) parts.push(sql`(select max(${db_.maxMs}) from ${db_} where ${within(db_.bucket, split.sealed)})`);
    if (split.raw.length > 0) parts.push(sql`(select max(${s.durationMs}) from ${s} where ${rawEnded(split.raw)})`);
    const [row] = rowsOf<{ mx: string | number | null }>(await tx.execute(sql`select greatest(${sql.join(parts, sql`, `)}) as mx`));
    return row?.mx == null ? null : Number(row.mx);
  };
  const maxMs = await longest();
  if (maxMs === null) return { binWidthMs: 0, bins: [] };
  const binWidthMs = binWidthFor(maxMs);
  // Sessions longer than 59 weeks get a width the aggregate does not keep: all from the rows.
  if (!(NICE_BIN_WIDTHS_MS as readonly number[]).includes(binWidthMs)) split = { sealed: [], raw: [{ from: windowStart, to: now, fromOpen: true, toClosed: true }] };

  const bins = await binsAt(tx, split, binWidthMs, true);
  // One outlier (a 9.7-minute session among 20-second drops) fits the width to itself and
  // squashes the rest: the chart clips it into an overflow bar (lib/overview/histogram-bins.ts
  // clipBins), and the bars below the bound are counted again at the clipped axis' width.
  const clipped = clipBins(bins, binWidthMs);
  if (clipped.overflow) {
    const finer = viewBinWidthFor(clipped.overflow.fromMs, maxMs);
    if (finer < binWidthMs) return { binWidthMs: finer, bins: await binsAt(tx, split, finer, false) };
  }
  return { binWidthMs, bins };
}

/**
 * The window's sessions in centred bins of `binWidthMs`, dense from the bin on 0 to the
 * last filled one: whole hours from the aggregate where it keeps that width, the rest from
 * the rows. An (hour, probe) keeps only the widths that fit its own longest session in
 * MAX_BINS bins, so a width finer than the window's longest (`fitted` false) needs the rows
 * of the pairs that lack it (read by their hour and probe, only then).
 */
async function binsAt(tx: Executor, split: WindowSplit, binWidthMs: number, fitted: boolean): Promise<DurationHistogram['bins']> {
  const width = sql.raw(String(binWidthMs));
  const parts: SQL[] = [];
  if (split.sealed.length > 0) {
    parts.push(sql`select ${db_.bin} as bin, ${db_.sessions} as n, ${db_.drops} as drops from ${db_} where ${within(db_.bucket, split.sealed)} and ${db_.widthMs} = ${width}`);
    if (!fitted) {
      // Sealed pairs without this width: their rows. The hour is computed in UTC epoch
      // seconds, as the aggregate's buckets are (date_trunc would follow the session's zone).
      parts.push(sql`select ${centred(s.durationMs, width)} as bin, 1 as n, (${s.endKind} <> 'probe_closed')::int as drops from ${s}
        where ${within(s.endedAt, split.sealed)} and ${s.endKind} is not null and ${s.durationMs} is not null
          and not exists (select 1 from ${db_} as x where x.bucket = to_timestamp(floor(extract(epoch from ${s.endedAt}) / 3600) * 3600)
            and x.probe_id = ${s.probeId} and x.width_ms = ${width})`);
    }
  }
  if (split.raw.length > 0) parts.push(sql`select ${centred(s.durationMs, width)} as bin, 1 as n, (${s.endKind} <> 'probe_closed')::int as drops from ${s} where ${rawEnded(split.raw)}`);
  if (parts.length === 0) return [];
  const rows = rowsOf<{ bin: string | number; n: string | number; drops: string | number }>(
    await tx.execute(sql`select bin, sum(n) as n, sum(drops) as drops from (${sql.join(parts, sql` union all `)}) as u group by bin order by bin`),
  );
  const last = rows.length > 0 ? Number(rows[rows.length - 1]!.bin) : 0;
  const bins = Array.from({ length: last + 1 }, (_, i) => ({ startMs: (i - 0.5) * binWidthMs, count: 0, drops: 0 }));
  for (const r of rows) {
    const b = bins[Number(r.bin)];
    if (b) {
      b.count = Number(r.n);
      b.drops = Number(r.drops);
    }
  }
  return bins;
}
