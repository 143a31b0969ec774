/**
 * What the path page's session table shows of a session (session-table.tsx), as pure
 * functions so the words and the export are tested without a browser
 * (test/app/session-rows.test.ts): the `end` cell's words and badge, and the columns its
 * CSV/JSON export carries (raw values: ISO instants, milliseconds, bytes).
 */
import type { ExportColumn } from '../../lib/dashboard/table-export';
import type { PathSessionRow } from '../../lib/paths/types';
import { endGroup } from './end-kinds';

/**
 * A session row as the table reads it (issue 19, both filled by db/queries/probe-silence.ts
 * and ingest-lost.ts): `probeSilent`, the session is open but its probe has been silent for
 * 3 heartbeats, so nobody knows whether it still is; `lostAt`, the server closed it as lost
 * (its probe came back without it, or was revoked): it has an end instant (the probe's last
 * word) but no end kind. Optional, so the table reads rows with or without them.
 */
export type SessionRow = PathSessionRow & { probeSilent?: boolean; lostAt?: string | null };

/** What a lost session's end says, in its title and details. */
export const LOST_NOTE = 'closed as lost: its probe came back without it (or was revoked); how and when it really ended is unknown';

/** The `end` cell: how the session ended, `open` while it is, or why it never opened. */
export function endLabel(s: SessionRow): string {
  if (s.outcome && s.outcome !== 'opened') return s.outcome.replace(/_/g, ' ');
  if (s.endKind) return s.endKind.replace(/_/g, ' ');
  if (endGroup(s.endedAt, s.endKind) === 'lost') return 'lost';
  if (s.probeSilent) return 'unknown (probe silent)';
  if (s.outcome === 'opened') return 'open';
  return '—';
}

/** The badge class for the `end` cell (app/globals.css): a lost or unknown end is never shown as a drop. */
export function endBadge(s: SessionRow): string {
  if (s.outcome && s.outcome !== 'opened') return 'badge-refused';
  switch (endGroup(s.endedAt, s.endKind)) {
    case 'live':
      return !s.probeSilent && s.outcome === 'opened' ? 'badge-open' : 'badge-closed';
    case 'drop':
    case 'frame':
      return 'badge-drop';
    default:
      return 'badge-closed';
  }
}

/** The close code and reason, e.g. `1006` or `1001 going away`; a dash without one. */
export function closeText(s: Pick<SessionRow, 'closeCode' | 'closeReason'>): string {
  if (s.closeCode === null) return s.closeReason ?? '—';
  return s.closeReason ? `${s.closeCode} ${s.closeReason}` : String(s.closeCode);
}

/** Every field the table shows (its row and the details below it), one export column each. */
export const SESSION_EXPORT_COLUMNS: readonly ExportColumn<SessionRow>[] = [
  { header: 'session', value: (s) => s.id },
  { header: 'attempted', value: (s) => s.attemptedAt },
  { header: 'probe', value: (s) => s.probeName },
  { header: 'target', value: (s) => s.targetName },
  { header: 'target URL', value: (s) => s.targetUrl },
  { header: 'proxy', value: (s) => s.proxyName },
  { header: 'proxy kind', value: (s) => s.proxyKind },
  { header: 'proxy URL', value: (s) => s.proxyUrl },
  { header: 'profile', value: (s) => s.profile },
  { header: 'gap ms', value: (s) => s.gapMs },
  { header: 'outcome', value: (s) => s.outcome },
  { header: 'HTTP', value: (s) => s.httpStatus },
  { header: 'proxy reply', value: (s) => s.proxyReply },
  { header: 'error', value: (s) => [s.errorCode, s.errorMessage].filter(Boolean).join(': ') || null },
  { header: 'DNS ms', value: (s) => s.dnsMs },
  { header: 'TCP ms', value: (s) => s.tcpMs },
  { header: 'proxy ms', value: (s) => s.proxyMs },
  { header: 'TLS ms', value: (s) => s.tlsMs },
  { header: 'upgrade ms', value: (s) => s.upgradeMs },
  { header: 'opened', value: (s) => s.openedAt },
  { header: 'ended', value: (s) => s.endedAt },
  { header: 'lifetime ms', value: (s) => s.durationMs },
  { header: 'end', value: (s) => endLabel(s) },
  { header: 'end kind', value: (s) => s.endKind },
  { header: 'probe silent', value: (s) => s.probeSilent ?? false },
  { header: 'lost at', value: (s) => s.lostAt ?? null },
  { header: 'close code', value: (s) => s.closeCode },
  { header: 'close reason', value: (s) => s.closeReason },
  { header: 'quiet recv ms', value: (s) => s.sinceLastRecvMs },
  { header: 'quiet sent ms', value: (s) => s.sinceLastSentMs },
  { header: 'egress', value: (s) => s.egressAddress },
  { header: 'bytes in', value: (s) => s.bytesIn },
  { header: 'bytes out', value: (s) => s.bytesOut },
  { header: 'messages in', value: (s) => s.messagesIn },
  { header: 'messages out', value: (s) => s.messagesOut },
  { header: 'RTT n', value: (s) => s.rttCount },
  { header: 'RTT min ms', value: (s) => s.rttMinMs },
  { header: 'RTT median ms', value: (s) => s.rttMedianMs },
  { header: 'RTT max ms', value: (s) => s.rttMaxMs },
  { header: 'target saw end', value: (s) => s.targetView?.endKind ?? null },
  { header: 'target saw close code', value: (s) => s.targetView?.closeCode ?? null },
  { header: 'target saw lifetime ms', value: (s) => s.targetView?.durationMs ?? null },
];
