/**
 * The path page's session table (components/paths/session-table.tsx, session-rows.ts):
 * twelve columns that fit 1366 px with `end` among them, the rest behind a details row,
 * "unknown (probe silent)" for an open session whose probe went quiet, times through
 * <Instant>, and an export of every field with raw values.
 */
import { describe, expect, it } from 'vitest';
import { toCsv, toJson } from '../../lib/dashboard/table-export';
import type { PathSessionRow } from '../../lib/paths/types';
import { SessionTable } from '../../components/paths/session-table';
import { closeText, endBadge, endLabel, SESSION_EXPORT_COLUMNS, type SessionRow } from '../../components/paths/session-rows';
import { renderHtml, textOf } from './render';

function row(over: Partial<SessionRow> = {}): SessionRow {
  const base: PathSessionRow = {
    id: 's-1', probeId: 1, probeName: 'probe-a', targetName: 'builtin', targetUrl: 'ws://127.0.0.1/canary', proxyName: 'direct', proxyKind: 'direct', proxyUrl: null,
    profile: 'ladder', profileKind: 'ladder', gapMs: 20_000, attemptedAt: '2026-11-01T12:00:00.000Z',
    dnsMs: 1.5, tcpMs: 2, proxyMs: null, tlsMs: null, upgradeMs: 4.25, outcome: 'opened', httpStatus: 101, proxyReply: null, errorCode: null, errorMessage: null,
    responseHeaders: { server: 'nginx' }, egressAddress: '203.0.113.7', openedAt: '2026-11-01T12:00:00.010Z', endedAt: '2026-11-01T12:01:00.010Z', durationMs: 60_000,
    sinceLastRecvMs: 60_000, sinceLastSentMs: 20_000, closeCode: 1006, closeReason: null, endKind: 'tcp_reset',
    bytesIn: 10, bytesOut: 20, messagesIn: 1, messagesOut: 2, rttCount: 3, rttMinMs: 1, rttMedianMs: 2, rttMaxMs: 3, targetView: null,
  };
  return { ...base, ...over };
}
const open = (over: Partial<SessionRow> = {}) => row({ endedAt: null, durationMs: null, endKind: null, closeCode: null, ...over });

describe('the end cell', () => {
  it.each<[string, SessionRow, string, string]>([
    ['a dropped session', row(), 'tcp reset', 'badge-drop'],
    ['one the probe closed', row({ endKind: 'probe_closed' }), 'probe closed', 'badge-closed'],
    ['one still open', open(), 'open', 'badge-open'],
    ['one open while its probe is silent', open({ probeSilent: true }), 'unknown (probe silent)', 'badge-closed'],
    ['an ended one whose probe went silent after (the end is known)', row({ probeSilent: true }), 'tcp reset', 'badge-drop'],
    ['a refused upgrade', open({ outcome: 'upgrade_refused', openedAt: null, httpStatus: 403 }), 'upgrade refused', 'badge-refused'],
    ['a failed dial', open({ outcome: 'dial_failed', openedAt: null }), 'dial failed', 'badge-refused'],
    ['an attempt without an outcome yet', open({ outcome: null, openedAt: null }), '—', 'badge-closed'],
    ['one closed as lost (an end instant, no end kind): never a drop', open({ endedAt: '2026-11-01T12:05:00.000Z', lostAt: '2026-11-01T12:09:00.000Z', probeSilent: false }), 'lost', 'badge-closed'],
    ['one closed as lost while its probe is silent again', open({ endedAt: '2026-11-01T12:05:00.000Z', lostAt: '2026-11-01T12:09:00.000Z', probeSilent: true }), 'lost', 'badge-closed'],
  ])('reads %s', (_, s, label, badge) => {
    expect(endLabel(s)).toBe(label);
    expect(endBadge(s)).toBe(badge);
  });

  it('writes the close code with its reason', () => {
    expect(closeText(row())).toBe('1006');
    expect(closeText(row({ closeCode: 1001, closeReason: 'going away' }))).toBe('1001 going away');
    expect(closeText(row({ closeCode: null, closeReason: null }))).toBe('—');
  });
});

describe('SessionTable', () => {
  const sessions = [
    row(),
    open({ id: 's-2', probeSilent: true }),
    row({ id: 's-3', probeName: 'a-very-long-probe-name-that-would-widen-the-table-past-the-screen' }),
    open({ id: 's-4', endedAt: '2026-11-01T12:05:00.000Z', lostAt: '2026-11-01T12:09:00.000Z' }),
  ];
  const html = renderHtml(SessionTable, { sessions, limit: 100 });

  it('has twelve columns, end and the times among them, the wide fields not', () => {
    const heads = [...html.matchAll(/<th[^>]*data-col="([^"]+)"/g)].map((m) => m[1]);
    expect(heads).toEqual(['details', 'attempted', 'probe', 'profile', 'HTTP', 'upgrade', 'opened', 'ended', 'lifetime', 'end', 'close', 'RTT median']);
    for (const wide of ['egress', 'bytes in/out', 'quiet recv', 'DNS']) expect(heads).not.toContain(wide);
  });

  it('says "unknown (probe silent)" in the end column of the silent probe\'s open session', () => {
    const silent = /<tr data-session="s-2"[^>]*>([\s\S]*?)<\/tr>/.exec(html)![1]!;
    expect(/data-col="end" data-probe-silent="true"[^>]*>([\s\S]*?)<\/td>/.exec(silent)?.[1]).toContain('unknown (probe silent)');
    const dropped = /<tr data-session="s-1"[^>]*>([\s\S]*?)<\/tr>/.exec(html)![1]!;
    expect(textOf(dropped)).toContain('tcp reset');
  });

  it('says "lost", with why in its title, for a session the server closed as lost', () => {
    const lost = /<tr data-session="s-4"[^>]*>([\s\S]*?)<\/tr>/.exec(html)![1]!;
    expect(lost).toMatch(/data-col="end"[^>]*data-lost="true"[^>]*><span class="badge badge-closed" title="closed as lost: [^"]+">lost<\/span>/);
  });

  it('writes instants through <Instant> (a <time> with the ISO instant), UTC unless asked', () => {
    expect(html).toContain('<time dateTime="2026-11-01T12:00:00.000Z"');
    expect(textOf(html)).toContain('2026-11-01 12:00:00');
    // opened/ended as clock times, the full instant in the title.
    expect(html).toMatch(/<time dateTime="2026-11-01T12:01:00.010Z" title="2026-11-01 12:01:00 UTC">12:01:00<\/time>/);
  });

  it('keeps the details out of the row until asked (a row of their own below, not a column)', () => {
    expect(html).not.toContain('data-details=');
    expect(html).toContain('aria-expanded="false"');
    expect(textOf(html)).not.toContain('203.0.113.7');
  });

  it('cuts a long name with its whole text in the title', () => {
    expect(html).toContain('class="cell-truncate" title="a-very-long-probe-name-that-would-widen-the-table-past-the-screen"');
  });

  it('offers CSV and JSON of the rows', () => {
    expect(html).toContain('aria-label="Export sessions"');
    expect(html).toContain('data-export="csv"');
    expect(html).toContain('data-export="json"');
  });

  it('says so when there is nothing', () => {
    expect(textOf(renderHtml(SessionTable, { sessions: [], limit: 100 }))).toBe('No attempts in this range.');
  });
});

describe('the sessions export', () => {
  it('carries every field with raw values: ISO instants, milliseconds, the silent flag', () => {
    const [json] = JSON.parse(toJson(SESSION_EXPORT_COLUMNS, [open({ probeSilent: true, targetView: null })])) as Record<string, unknown>[];
    expect(json).toMatchObject({ session: 's-1', attempted: '2026-11-01T12:00:00.000Z', opened: '2026-11-01T12:00:00.010Z', ended: null, 'lifetime ms': null, end: 'unknown (probe silent)', 'probe silent': true, 'lost at': null, 'upgrade ms': 4.25, egress: '203.0.113.7', 'RTT median ms': 2 });
    const [ended] = JSON.parse(toJson(SESSION_EXPORT_COLUMNS, [row()])) as Record<string, unknown>[];
    expect(ended).toMatchObject({ ended: '2026-11-01T12:01:00.010Z', 'lifetime ms': 60_000, 'end kind': 'tcp_reset', 'probe silent': false, 'close code': 1006 });
  });

  it('has one column per header, every header unique', () => {
    const headers = SESSION_EXPORT_COLUMNS.map((c) => c.header);
    expect(new Set(headers).size).toBe(headers.length);
    expect(toCsv(SESSION_EXPORT_COLUMNS, [row()]).split('\r\n')[0]!.split(',')).toHaveLength(headers.length);
  });
});
