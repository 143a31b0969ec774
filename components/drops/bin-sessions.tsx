'use client';
/**
 * The sessions of one histogram bar (issue 19: a drop could not be followed to its
 * sessions). The page keeps the bar in its URL (`bar=age:19500-20500`,
 * lib/drops/bin-sessions.ts); this panel lists the bar's sessions in the page's scope from
 * GET /api/v1/sessions, newest end first, a page at a time, each with a link to its path
 * and to its full record.
 */
import Link from 'next/link';
import { useEffect, useState } from 'react';
import { binSessionsAnswerSchema, binSessionsQueryString, type BarKind, type BarSelection, type BinSession } from '../../lib/drops/bin-sessions';
import { formatDurationPrecise } from '../../lib/overview/format';
import { formatBinRange } from '../../lib/drops/histogram-view';
import { pathId } from '../../lib/paths/path-id';
import { Instant } from '../dashboard/time-zone';
import { ZoneName } from '../dashboard/zone-name';
import { TableExport } from '../dashboard/table-export';
import type { ExportColumn } from '../../lib/dashboard/table-export';
import { closeCodeLabel, END_KIND_LABELS } from './labels';
import styles from './bin-sessions.module.css';

const PAGE = 50;

const MEASURE_LABEL = { duration: 'duration', age: 'age at the drop', idle: 'idle before the drop' } as const;

/** "19.5 s – 20.5 s", or "longer than 35 s" for an overflow bar. */
export function barLabel(bar: BarSelection): string {
  return formatBinRange(bar.minMs, bar.maxMs);
}

interface Loaded {
  /** The query the rows answer, so a changed bar or scope never shows the old rows. */
  query: string;
  total: number;
  sessions: BinSession[];
  nextCursor: string | null;
}

export interface BinSessionsProps {
  bar: BarSelection;
  kind: BarKind;
  /** The page's query string (without `?`): its scope keys are the list's. */
  scopeQuery: string;
  /** Where "close" goes: the page without `bar`. */
  clearHref: string;
  /** Close without a navigation (the page drops `bar` from its URL itself); a plain link to clearHref otherwise. */
  onClose?: () => void;
  /** The page's path filters, carried to the path links. */
  pathQuery?: string;
}

export function BinSessions({ bar, kind, scopeQuery, clearHref, onClose, pathQuery }: BinSessionsProps) {
  const query = binSessionsQueryString(scopeQuery, bar, kind, { limit: PAGE });
  const [loaded, setLoaded] = useState<Loaded | null>(null);
  const [error, setError] = useState<{ query: string; message: string } | null>(null);
  const [busy, setBusy] = useState(false);

  const load = async (cursor: string | null, signal?: AbortSignal) => {
    setBusy(true);
    try {
      const url = `/api/v1/sessions?${cursor ? binSessionsQueryString(scopeQuery, bar, kind, { limit: PAGE, cursor }) : query}`;
      const res = await fetch(url, { signal, headers: { accept: 'application/json' } });
      const body: unknown = await res.json().catch(() => null);
      if (!res.ok) {
        const message = body && typeof body === 'object' && 'error' in body ? String((body as { error: unknown }).error) : `HTTP ${res.status}`;
        setError({ query, message });
        return;
      }
      const answer = binSessionsAnswerSchema.parse(body);
      setError(null);
      setLoaded((prev) => ({
        query,
        total: answer.total,
        sessions: cursor && prev?.query === query ? [...prev.sessions, ...answer.sessions] : answer.sessions,
        nextCursor: answer.nextCursor,
      }));
    } catch (err) {
      if (signal?.aborted) return;
      setError({ query, message: err instanceof Error ? err.message : String(err) });
    } finally {
      if (!signal?.aborted) setBusy(false);
    }
  };

  useEffect(() => {
    const ac = new AbortController();
    void load(null, ac.signal);
    return () => ac.abort();
    // `query` holds everything the first page depends on.
  }, [query]);

  const current = loaded?.query === query ? loaded : null;
  const failed = error?.query === query ? error.message : null;
  const rows = current?.sessions ?? [];
  return (
    <section
      className="card"
      data-testid="bin-sessions"
      data-bar-measure={bar.measure}
      data-bar-min={bar.minMs}
      data-bar-max={bar.maxMs ?? ''}
      data-total={current?.total ?? ''}
      data-rows={rows.length}
      data-loading={busy || !current}
      aria-busy={busy || !current}
      aria-label="Sessions in the selected bar"
      // Full width when the page lays its cards out in a grid (the overview's panels).
      style={{ gridColumn: '1 / -1' }}
    >
      <header className="card-header">
        <h2>
          {kind === 'drops' ? 'Drops' : 'Sessions'} with {MEASURE_LABEL[bar.measure]} {barLabel(bar)}
        </h2>
        <span className="card-meta">
          {current && (
            <>
              {current.total} {current.total === 1 ? 'session' : 'sessions'}
              {current.total > rows.length && ` · newest ${rows.length} shown`}
              {' · '}
            </>
          )}
          <TableExport
            name={`sessions-${bar.measure}-${Math.round(bar.minMs)}-${bar.maxMs === null ? 'up' : Math.round(bar.maxMs)}`}
            rows={rows}
            columns={binSessionColumns(bar.measure)}
          />{' '}
          <a
            href={clearHref}
            data-testid="bin-sessions-close"
            onClick={(e) => {
              if (!onClose) return;
              e.preventDefault();
              onClose();
            }}
          >
            close
          </a>
        </span>
      </header>
      {failed ? (
        <p className="banner banner-error" role="alert">
          Could not list the sessions: {failed}{' '}
          <button type="button" onClick={() => void load(null)}>
            retry
          </button>
        </p>
      ) : !current ? (
        <p className="muted">Loading the sessions…</p>
      ) : rows.length === 0 ? (
        <p className="muted">No session in this bar any more (the range moved on, or a filter changed).</p>
      ) : (
        <div className={styles.wrap}>
          <BinSessionRows rows={rows} measure={bar.measure} pathQuery={pathQuery} />
          {current.nextCursor && (
            <button type="button" className={styles.more} disabled={busy} onClick={() => void load(current.nextCursor)} data-testid="bin-sessions-more">
              {busy ? 'loading…' : `show ${Math.min(PAGE, current.total - rows.length)} more`}
            </button>
          )}
        </div>
      )}
    </section>
  );
}

/** What the list's CSV and JSON hold: raw values (ISO instants, ms), the value measured when it is not the duration. */
export function binSessionColumns(measure: BarSelection['measure']): ExportColumn<BinSession>[] {
  return [
    { header: 'ended', value: (r) => r.endedAt },
    { header: 'probe', value: (r) => r.probe },
    { header: 'target', value: (r) => r.target },
    { header: 'proxy', value: (r) => r.proxy },
    { header: 'profile', value: (r) => r.profile },
    { header: 'duration_ms', value: (r) => r.durationMs },
    ...(measure !== 'duration' ? [{ header: `${measure}_ms`, value: (r: BinSession) => r.valueMs }] : []),
    { header: 'ending', value: (r) => r.endKind },
    { header: 'close_code', value: (r) => r.closeCode },
    { header: 'session', value: (r) => r.sessionId },
  ];
}

/** The rows of a bar's list, each linked to its path page and to its full record. */
export function BinSessionRows({ rows, measure, pathQuery }: { rows: readonly BinSession[]; measure: BarSelection['measure']; pathQuery?: string | undefined }) {
  const showValue = measure !== 'duration';
  return (
    <table className="table">
      <thead>
        <tr>
          <th>
            ended <span className="muted">(<ZoneName />)</span>
          </th>
          <th>probe</th>
          <th>path</th>
          <th className="num">duration</th>
          {showValue && <th className="num">{measure}</th>}
          <th>ending</th>
          <th>close code</th>
          <th>session</th>
        </tr>
      </thead>
      <tbody>
        {rows.map((r) => (
          <tr key={r.sessionId} data-session={r.sessionId}>
            <td className={styles.mono}>
              <Instant at={r.endedAt} style="full" />
            </td>
            <td>{r.probe}</td>
            <td>
              <Link href={`/paths/${pathId({ target: r.target, proxy: r.proxy })}${pathQuery ? `?${pathQuery}` : ''}`}>
                {r.target} <span className="muted">via</span> {r.proxy}
              </Link>{' '}
              <span className="muted">· {r.profile}</span>
            </td>
            <td className="num">{r.durationMs === null ? '—' : formatDurationPrecise(r.durationMs)}</td>
            {showValue && <td className="num">{r.valueMs === null ? '—' : formatDurationPrecise(r.valueMs)}</td>}
            <td title={r.closeReason ?? undefined}>{END_KIND_LABELS[r.endKind]}</td>
            <td>{closeCodeLabel(r.closeCode)}</td>
            <td className={styles.mono}>
              <a href={`/api/v1/sessions/${encodeURIComponent(r.sessionId)}`} title="the session's full record (JSON)">
                {r.sessionId.length > 14 ? `${r.sessionId.slice(0, 13)}…` : r.sessionId}
              </a>
            </td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}
