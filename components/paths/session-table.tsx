/**
 * The newest sessions on a path with every recorded field: the wide figures in columns,
 * headers, error text and the target's own view behind a native disclosure per row.
 */
import type { PathSessionRow } from '../../lib/paths/types';
import { endGroup } from './end-kinds';
import { lifetime, ms, stamp } from './format';
import css from './paths.module.css';

const n = (x: number | null) => (x === null ? '—' : String(x));

export function SessionTable({ sessions, limit }: { sessions: PathSessionRow[]; limit: number }) {
  if (sessions.length === 0) return <p className={css.placeholder}>No attempts in this range.</p>;
  return (
    <div className={css.sessionScroll} tabIndex={0} role="region" aria-label="Sessions, scrollable">
      <table className={css.sessions} data-testid="session-table" data-rows={sessions.length}>
        <caption className="sr-only">The newest {limit} attempts on this path</caption>
        <thead>
          <tr>
            {['details', 'attempted', 'probe', 'profile', 'outcome', 'HTTP', 'DNS', 'TCP', 'proxy', 'TLS', 'upgrade', 'opened', 'ended', 'lifetime', 'end', 'close', 'quiet recv', 'quiet sent', 'egress', 'bytes in/out', 'msgs in/out', 'RTT n', 'RTT min/med/max'].map((h) => (
              <th key={h} scope="col">
                {h}
              </th>
            ))}
          </tr>
        </thead>
        <tbody>
          {sessions.map((s) => (
            <tr key={s.id} data-session={s.id}>
              <td>
                <details>
                  <summary>{s.targetView ? 'more + target' : 'more'}</summary>
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
                    {Object.entries(s.responseHeaders ?? {}).map(([k, v]) => (
                      <HeaderLine key={k} k={k} v={v} />
                    ))}
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
                          {stamp(s.targetView.openedAt)} → {stamp(s.targetView.endedAt)}, quiet {lifetime(s.targetView.sinceLastRecvMs)} recv / {lifetime(s.targetView.sinceLastSentMs)} sent
                        </dd>
                      </>
                    )}
                  </dl>
                </details>
              </td>
              <td>{stamp(s.attemptedAt)}</td>
              <td>{s.probeName}</td>
              <td>
                {s.profile}
                {s.gapMs !== null ? ` (gap ${lifetime(s.gapMs)})` : ''}
              </td>
              <td>{s.outcome ?? '—'}</td>
              <td className={css.num}>{n(s.httpStatus)}</td>
              <td className={css.num}>{ms(s.dnsMs)}</td>
              <td className={css.num}>{ms(s.tcpMs)}</td>
              <td className={css.num}>{ms(s.proxyMs)}</td>
              <td className={css.num}>{ms(s.tlsMs)}</td>
              <td className={css.num}>{ms(s.upgradeMs)}</td>
              <td>{stamp(s.openedAt)}</td>
              <td>{stamp(s.endedAt)}</td>
              <td className={css.num}>{lifetime(s.durationMs)}</td>
              <td>
                <span className={`badge ${badge(s)}`}>{s.endKind ?? (s.outcome === 'opened' ? 'open' : (s.outcome?.replace('_', ' ') ?? '—'))}</span>
              </td>
              <td>
                {n(s.closeCode)}
                {s.closeReason ? ` ${s.closeReason}` : ''}
              </td>
              <td className={css.num}>{lifetime(s.sinceLastRecvMs)}</td>
              <td className={css.num}>{lifetime(s.sinceLastSentMs)}</td>
              <td>{s.egressAddress ?? '—'}</td>
              <td className={css.num}>
                {n(s.bytesIn)} / {n(s.bytesOut)}
              </td>
              <td className={css.num}>
                {n(s.messagesIn)} / {n(s.messagesOut)}
              </td>
              <td className={css.num}>{n(s.rttCount)}</td>
              <td className={css.num}>{s.rttCount ? `${ms(s.rttMinMs)} / ${ms(s.rttMedianMs)} / ${ms(s.rttMaxMs)}` : '—'}</td>
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}

function HeaderLine({ k, v }: { k: string; v: string }) {
  return (
    <>
      <dt>{k}:</dt>
      <dd>{v}</dd>
    </>
  );
}

function badge(s: PathSessionRow): string {
  if (s.outcome && s.outcome !== 'opened') return 'badge-refused';
  const g = endGroup(s.endedAt, s.endKind);
  return g === 'live' ? 'badge-open' : g === 'closed' ? 'badge-closed' : 'badge-drop';
}
