'use client';
/**
 * The newest sessions on a path. The row holds what a person compares down the column
 * (when, who, how it ended, how long it lived); everything else (dial phases, quiet times,
 * egress, bytes, RTT, headers, errors, the target's own view) opens in a row of its own
 * below, across the whole table, so opening it never pushes a column off screen (issue 19:
 * `end` was hidden at 1366 and 1920 px, and a row's details pushed opened/ended/lifetime/end
 * off). Every field is in the CSV/JSON export (session-rows.ts).
 */
import { Fragment, useState } from 'react';
import { TableExport } from '../dashboard/table-export';
import { Instant } from '../dashboard/time-zone';
import { lifetime, ms } from './format';
import css from './paths.module.css';
import { closeText, endBadge, endLabel, LOST_NOTE, SESSION_EXPORT_COLUMNS, type SessionRow } from './session-rows';

const n = (x: number | null) => (x === null ? '—' : String(x));
const COLUMNS = ['', 'attempted', 'probe', 'profile', 'HTTP', 'upgrade', 'opened', 'ended', 'lifetime', 'end', 'close', 'RTT median'] as const;

/** An instant or a dash; `clock` where the attempt's own date is a column away (the full instant in its title). */
function When({ at, style = 'full' }: { at: string | null; style?: 'full' | 'clock' }) {
  return at ? <Instant at={at} style={style} /> : <>—</>;
}

export function SessionTable({ sessions, limit }: { sessions: SessionRow[]; limit: number }) {
  const [open, setOpen] = useState<ReadonlySet<string>>(new Set());
  if (sessions.length === 0) return <p className={css.placeholder}>No attempts in this range.</p>;
  const toggle = (id: string) =>
    setOpen((was) => {
      const next = new Set(was);
      if (!next.delete(id)) next.add(id);
      return next;
    });
  return (
    <div className={css.sessionBlock}>
      <div className={css.sessionTools}>
        <span className={css.note}>
          {sessions.length} shown{sessions.length >= limit ? ` (the newest ${limit})` : ''}; open a row for its details
        </span>
        <TableExport name="sessions" rows={sessions} columns={SESSION_EXPORT_COLUMNS} />
      </div>
      <div className={css.sessionScroll} tabIndex={0} role="region" aria-label="Sessions, scrollable">
        <table className={css.sessions} data-testid="session-table" data-rows={sessions.length}>
          <caption className="sr-only">The newest {limit} attempts on this path</caption>
          <thead>
            <tr>
              {COLUMNS.map((h, i) => (
                <th key={h || i} scope="col" className={['HTTP', 'upgrade', 'lifetime', 'RTT median'].includes(h) ? css.num : undefined} data-col={h || 'details'}>
                  {h || <span className="sr-only">details</span>}
                </th>
              ))}
            </tr>
          </thead>
          <tbody>
            {sessions.map((s) => {
              const shown = open.has(s.id);
              return (
                <Fragment key={s.id}>
                  <tr data-session={s.id} data-open={shown}>
                    <td>
                      <button type="button" className={css.more} aria-expanded={shown} aria-controls={`session-${s.id}`} onClick={() => toggle(s.id)}>
                        {shown ? 'less' : s.targetView ? 'more + target' : 'more'}
                      </button>
                    </td>
                    <td>
                      <When at={s.attemptedAt} />
                    </td>
                    <td>
                      <span className="cell-truncate" title={s.probeName}>
                        {s.probeName}
                      </span>
                    </td>
                    <td>
                      <span className="cell-truncate" title={s.profile}>
                        {s.profile}
                        {s.gapMs !== null ? ` (gap ${lifetime(s.gapMs)})` : ''}
                      </span>
                    </td>
                    <td className={css.num}>{n(s.httpStatus)}</td>
                    <td className={css.num}>{ms(s.upgradeMs)}</td>
                    <td>
                      <When at={s.openedAt} style="clock" />
                    </td>
                    <td>
                      <When at={s.endedAt} style="clock" />
                    </td>
                    <td className={css.num}>{lifetime(s.durationMs)}</td>
                    <td data-col="end" data-probe-silent={s.probeSilent ? 'true' : undefined} data-lost={s.lostAt ? 'true' : undefined}>
                      <span className={`badge ${endBadge(s)}`} title={s.lostAt ? LOST_NOTE : undefined}>
                        {endLabel(s)}
                      </span>
                    </td>
                    <td>
                      <span className="cell-truncate" title={closeText(s)}>
                        {closeText(s)}
                      </span>
                    </td>
                    <td className={css.num}>{s.rttCount ? ms(s.rttMedianMs) : '—'}</td>
                  </tr>
                  {shown && (
                    <tr className={css.detailRow} data-details={s.id}>
                      <td colSpan={COLUMNS.length} id={`session-${s.id}`}>
                        <SessionDetails s={s} />
                      </td>
                    </tr>
                  )}
                </Fragment>
              );
            })}
          </tbody>
        </table>
      </div>
    </div>
  );
}

/** The fields that do not fit a row, in groups laid out across the table's width. */
function SessionDetails({ s }: { s: SessionRow }) {
  return (
    <div className={css.details}>
      <dl className={css.kv}>
        <dt>session</dt>
        <dd>{s.id}</dd>
        <dt>target URL</dt>
        <dd>{s.targetUrl}</dd>
        <dt>proxy</dt>
        <dd>
          {s.proxyKind}
          {s.proxyUrl ? ` ${s.proxyUrl}` : ''}
        </dd>
        {s.profileKind && (
          <>
            <dt>profile kind</dt>
            <dd>{s.profileKind}</dd>
          </>
        )}
        <dt>outcome</dt>
        <dd>{s.outcome ?? '—'}</dd>
        {s.proxyReply && (
          <>
            <dt>proxy reply</dt>
            <dd>{s.proxyReply}</dd>
          </>
        )}
        {(s.errorCode || s.errorMessage) && (
          <>
            <dt>error</dt>
            <dd>{[s.errorCode, s.errorMessage].filter(Boolean).join(': ')}</dd>
          </>
        )}
      </dl>
      <dl className={css.kv}>
        <dt>dial</dt>
        <dd>
          DNS {ms(s.dnsMs)} · TCP {ms(s.tcpMs)} · proxy {ms(s.proxyMs)} · TLS {ms(s.tlsMs)} · upgrade {ms(s.upgradeMs)}
        </dd>
        <dt>quiet</dt>
        <dd>
          {lifetime(s.sinceLastRecvMs)} recv / {lifetime(s.sinceLastSentMs)} sent
        </dd>
        <dt>egress</dt>
        <dd>{s.egressAddress ?? '—'}</dd>
        <dt>bytes in/out</dt>
        <dd>
          {n(s.bytesIn)} / {n(s.bytesOut)}
        </dd>
        <dt>msgs in/out</dt>
        <dd>
          {n(s.messagesIn)} / {n(s.messagesOut)}
        </dd>
        <dt>RTT</dt>
        <dd>{s.rttCount ? `${s.rttCount} pings: ${ms(s.rttMinMs)} min / ${ms(s.rttMedianMs)} median / ${ms(s.rttMaxMs)} max` : 'no pings answered'}</dd>
        {s.probeSilent && !s.endedAt && (
          <>
            <dt>end</dt>
            <dd>unknown: its probe has been silent for 3 heartbeats; closed as lost if it returns without this session</dd>
          </>
        )}
        {s.lostAt && (
          <>
            <dt>end</dt>
            <dd>
              {LOST_NOTE}; closed <Instant at={s.lostAt} />
            </dd>
          </>
        )}
      </dl>
      {(s.targetView || Object.keys(s.responseHeaders ?? {}).length > 0) && (
        <dl className={css.kv}>
          {s.targetView && (
            <>
              <dt>target saw</dt>
              <dd>
                {s.targetView.endKind}
                {s.targetView.closeCode !== null ? ` ${s.targetView.closeCode}` : ''}
                {s.targetView.closeReason ? ` ${s.targetView.closeReason}` : ''} after {lifetime(s.targetView.durationMs)}, close frame {s.targetView.closeFrameReceived ? 'received' : 'not received'}
              </dd>
              <dt>target peer</dt>
              <dd>{s.targetView.peerAddress}</dd>
              <dt>target times</dt>
              <dd>
                <Instant at={s.targetView.openedAt} /> → <Instant at={s.targetView.endedAt} />, quiet {lifetime(s.targetView.sinceLastRecvMs)} recv / {lifetime(s.targetView.sinceLastSentMs)} sent
              </dd>
            </>
          )}
          {Object.entries(s.responseHeaders ?? {}).map(([k, v]) => (
            <Fragment key={k}>
              <dt>{k}:</dt>
              <dd>{v}</dd>
            </Fragment>
          ))}
        </dl>
      )}
    </div>
  );
}
