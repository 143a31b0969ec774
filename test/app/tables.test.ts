/**
 * The dashboard tables of components/{drops,handshakes,probes,paths,admin,fleet} (issue 19):
 * each offers CSV and JSON of the rows it shows with raw values, and writes its instants
 * through <Instant> (UTC on the server's render, the ISO instant in `dateTime`).
 */
import { describe, expect, it } from 'vitest';
import { AuditTable, type AuditWire } from '../../components/admin/audit-table';
import { AUDIT_EXPORT_COLUMNS, tokenExportColumns, tokenState, USER_EXPORT_COLUMNS } from '../../components/admin/exports';
import { Breakdown, breakdownColumns } from '../../components/drops/breakdown';
import { CLUSTER_EXPORT_COLUMNS, ClusterTable } from '../../components/drops/cluster-table';
import { definitionExportColumns } from '../../components/fleet/definition-section';
import { EXPERIMENT_EXPORT_COLUMNS, ExperimentsList, type ExperimentWire } from '../../components/fleet/experiments-list';
import { pathStateText } from '../../components/fleet/fleet-panel';
import { failureColumns, FailureTable } from '../../components/handshakes/failure-table';
import { MATRIX_EXPORT_COLUMNS, PathsMatrix } from '../../components/paths/paths-matrix';
import { PROBES_EXPORT_COLUMNS, ProbesTable } from '../../components/probes/probes-table';
import { toCsv, toJson, type ExportColumn } from '../../lib/dashboard/table-export';
import type { ClusterDrop, DropsReport } from '../../lib/drops/report';
import type { PathCell, ProbeStatus } from '../../lib/paths/types';
import { renderHtml, textOf } from './render';

const rowsOf = <R,>(columns: readonly ExportColumn<R>[], rows: R[]) => JSON.parse(toJson(columns, rows)) as Record<string, unknown>[];
const exportButtons = (html: string, name: string) => html.includes(`aria-label="Export ${name}"`) && html.includes('data-export="csv"') && html.includes('data-export="json"');

describe('drops: cluster table and breakdowns', () => {
  const drop: ClusterDrop = { sessionId: 'd-1', endedAt: '2026-11-01T12:00:20.000Z', probe: 'p1', target: 'builtin', proxy: 'corp~lb', profile: 'idle', durationMs: 20_012, ageMs: 20_000, idleMs: 19_990, endKind: 'tcp_fin', closeCode: null, egress: null };
  const cluster: NonNullable<DropsReport['cluster']> = {
    nSeconds: 20,
    total: 1,
    drops: [drop],
    signature: { key: 'idle-20', dimension: 'idle', nMs: 20_000, nSeconds: 20, minMs: 19_900, maxMs: 20_090, window: { lowMs: 19_000, highMs: 21_000 }, count: 1, kind: 'idle', verdict: 'An idle timeout of 20 s.' },
  };

  it('links each drop to its path page, writes the end through <Instant>, offers the export', () => {
    const html = renderHtml(ClusterTable, { cluster, clearHref: '/drops' });
    expect(html).toContain('href="/paths/builtin~corp%7Elb"');
    expect(html).toContain('<time dateTime="2026-11-01T12:00:20.000Z"');
    expect(textOf(html)).toContain('2026-11-01 12:00:20');
    expect(exportButtons(html, 'drops-at-20s')).toBe(true);
  });

  it('exports the raw values', () => {
    expect(rowsOf(CLUSTER_EXPORT_COLUMNS, [drop])[0]).toEqual({ session: 'd-1', ended: '2026-11-01T12:00:20.000Z', probe: 'p1', target: 'builtin', proxy: 'corp~lb', profile: 'idle', 'duration ms': 20_012, 'age ms': 20_000, 'idle ms': 19_990, ending: 'tcp_fin', 'close code': null, egress: null });
  });

  it('offers no export when there is no signature to list', () => {
    expect(renderHtml(ClusterTable, { cluster: { ...cluster, signature: null, drops: [] }, clearHref: '/drops' })).not.toContain('data-export');
  });

  it('exports a breakdown with its share as a fraction', () => {
    const rows = [{ key: 'tcp_fin', label: 'FIN', count: 3 }, { key: 'tcp_reset', label: 'reset', count: 1 }];
    expect(rowsOf(breakdownColumns(4), rows)).toEqual([{ key: 'tcp_fin', label: 'FIN', count: 3, share: 0.75 }, { key: 'tcp_reset', label: 'reset', count: 1, share: 0.25 }]);
    expect(rowsOf(breakdownColumns(0), rows)[0]!.share).toBeNull();
    expect(exportButtons(renderHtml(Breakdown, { id: 'end-kinds', title: 'How they ended', rows, total: 4 }), 'end-kinds')).toBe(true);
  });
});

describe('handshakes: failure tables', () => {
  const groups = [{ value: 403, count: 5, paths: Array.from({ length: 8 }, (_, i) => ({ target: `t${i}`, proxy: 'direct', count: 1 })) }];

  it('exports every path hit, not only the six shown', () => {
    const [r] = rowsOf(failureColumns<number>('status', (v) => `HTTP ${v}`), groups);
    expect(r).toMatchObject({ status: 403, 'status meaning': 'HTTP 403', count: 5 });
    expect(String(r!['paths hit']).split('; ')).toHaveLength(8);
    expect(Object.keys(rowsOf(failureColumns<string>('error'), [{ value: 'ECONNREFUSED', count: 1, paths: [] }])[0]!)).toEqual(['error', 'count', 'paths hit']);
  });

  it('shows the export in its heading', () => {
    const html = renderHtml(FailureTable<number>, { id: 'by-status', title: 'Refused upgrades by HTTP status', column: 'status', groups, empty: 'none' });
    expect(exportButtons(html, 'by-status')).toBe(true);
    expect(textOf(html)).toContain('and 2 more');
  });
});

describe('paths matrix and probes table', () => {
  const cell: PathCell = { id: 'builtin~direct', target: 'builtin', proxy: 'direct', probe: null, attempts: 10, opened: 9, upgradeRatio: 0.9, ended: 8, drops: 2, dropShare: 0.25, dropsPerHour: 1.5, dataMs: 4 * 3_600_000, medianLifetimeMs: 15_000, medianDropLifetimeMs: 20_000, probeClosed: 6, lastAttemptAt: '2026-11-01T12:00:00.000Z', health: 'degraded' };

  it('exports the matrix one row per cell', () => {
    expect(rowsOf(MATRIX_EXPORT_COLUMNS, [cell])[0]).toMatchObject({ path: 'builtin~direct', health: 'degraded', 'upgrade ratio': 0.9, 'drops per hour of data': 1.5, 'data ms': 4 * 3_600_000, 'median drop lifetime ms': 20_000, 'median lifetime ms': 15_000, 'probe closed': 6, 'last attempt': '2026-11-01T12:00:00.000Z' });
    const matrix = (c: PathCell) => ({ from: '', to: '', byProbe: false, medianLifetimeRelativeError: 0.01, targets: ['builtin'], proxies: ['direct'], probes: [], cells: [c] });
    const html = renderHtml(PathsMatrix, { matrix: matrix(cell), scopeQuery: {} });
    expect(exportButtons(html, 'paths')).toBe(true);
    // The path's own life (its drops'), and how long it had data.
    expect(textOf(html)).toContain('median life ≈20.00 s');
    expect(textOf(html)).toContain('data 4h');
    // A healthy path whose canaries all lived their planned time has no "life" of the probe's making.
    expect(textOf(renderHtml(PathsMatrix, { matrix: matrix({ ...cell, drops: 0, medianDropLifetimeMs: null, dropsPerHour: 0 }), scopeQuery: {} }))).toContain('median life no drops');
    // Drops without time with data have no rate: "—", never "0/h" beside them.
    const noData = textOf(renderHtml(PathsMatrix, { matrix: matrix({ ...cell, dataMs: 0, dropsPerHour: null }), scopeQuery: {} }));
    expect(noData).toContain('— · 2/8');
    expect(noData).not.toContain('0/h');
  });

  const probe: ProbeStatus = {
    name: 'edge-1', labels: { region: 'eu' }, agentVersion: '1.2.0', state: 'revoked', online: false, createdAt: '2026-10-01T08:00:00.000Z', firstSeenAt: '2026-10-01T08:01:00.000Z',
    lastSeenAt: '2026-11-01T11:59:58.000Z', silentForMs: 2000, revokedAt: '2026-11-02T09:30:00.000Z', spoolDepth: 3, canaries: { open: 1, connecting: 0, backoff: null }, plan: null,
  };

  it('writes the probes\' instants through <Instant> and exports them raw', () => {
    const html = renderHtml(ProbesTable, { probes: [probe] });
    for (const iso of [probe.lastSeenAt!, probe.revokedAt!, probe.createdAt]) expect(html).toContain(`dateTime="${iso}"`);
    expect(textOf(html)).toContain('2026-11-01 11:59:58');
    expect(exportButtons(html, 'probes')).toBe(true);
    expect(rowsOf(PROBES_EXPORT_COLUMNS, [probe])[0]).toMatchObject({ probe: 'edge-1', state: 'revoked', 'last seen': '2026-11-01T11:59:58.000Z', 'silent for ms': 2000, labels: 'region=eu', open: 1, backoff: null, 'plan version': null });
  });
});

describe('admin tables', () => {
  const entry: AuditWire = { id: 7, at: '2026-11-01T12:00:00.000Z', actorKind: 'user', actorId: 'u1', actorName: 'admin@x', action: 'webhook.update', subjectKind: 'webhook', subjectId: '3', before: { url: 'https://a', name: 'n' }, after: { url: 'https://b', name: 'n' } };

  it('renders the audit log with <Instant> and its export', () => {
    const html = renderHtml(AuditTable, { entries: [entry] });
    expect(html).toContain('dateTime="2026-11-01T12:00:00.000Z"');
    expect(exportButtons(html, 'audit')).toBe(true);
    expect(rowsOf(AUDIT_EXPORT_COLUMNS, [entry])[0]).toMatchObject({ id: 7, at: '2026-11-01T12:00:00.000Z', action: 'webhook.update', changed: 'url', before: '{"url":"https://a","name":"n"}' });
  });

  it('says a token\'s state as of the page\'s now, in the table and the export', () => {
    const now = Date.parse('2026-11-01T12:00:00Z');
    const t = { id: 1, name: 'prom', role: 'viewer' as const, createdAt: '2026-10-01T00:00:00.000Z', expiresAt: '2026-11-01T11:59:59.000Z', revokedAt: null, lastUsedAt: null };
    expect(tokenState(t, now)).toBe('expired');
    expect(tokenState({ ...t, expiresAt: null }, now)).toBe('active');
    expect(tokenState({ ...t, revokedAt: '2026-10-02T00:00:00.000Z' }, now)).toBe('revoked');
    expect(rowsOf(tokenExportColumns(now), [t])[0]).toEqual({ id: 1, name: 'prom', role: 'viewer', state: 'expired', created: '2026-10-01T00:00:00.000Z', expires: '2026-11-01T11:59:59.000Z', revoked: null, 'last used': null });
    expect(JSON.stringify(rowsOf(tokenExportColumns(now), [t]))).not.toMatch(/dsa_/);
  });

  it('exports people with how they sign in', () => {
    expect(rowsOf(USER_EXPORT_COLUMNS, [{ id: 'u', email: 'a@b', name: 'A', role: 'admin', providers: ['credential', 'oidc'], createdAt: '2026-10-01T00:00:00.000Z' }])[0]).toEqual({ email: 'a@b', name: 'A', role: 'admin', 'signs in with': 'credential oidc', added: '2026-10-01T00:00:00.000Z' });
  });
});

describe('fleet tables', () => {
  it('exports a definition table: its id, plain cells as they are, drawn cells by their raw value or empty', () => {
    const rows = [{ id: 4, name: 'corp', url: 'http://proxy:3128' }];
    const columns = definitionExportColumns<(typeof rows)[number]>([
      { header: 'proxy', cell: (p) => p.name },
      { header: 'URL', cell: (p) => ({ type: 'span', props: { children: p.url } }) as unknown as string, value: (p) => p.url },
      { header: 'drawn', cell: () => ({ type: 'span' }) as unknown as string },
    ]);
    expect(toCsv(columns, rows)).toBe('id,proxy,URL,drawn\r\n4,corp,http://proxy:3128,\r\n');
  });

  it('says a path\'s state in words for the export', () => {
    const path = { enabled: true } as Parameters<typeof pathStateText>[0];
    expect(pathStateText({ ...path, enabled: false }, undefined)).toBe('disabled');
    expect(pathStateText(path, undefined)).toBe('not reported yet');
    expect(pathStateText(path, { running: [{ probe: 'a', open: 1, canaries: 1 }], unconfigured: [{ probe: 'b', reason: 'CORP_PASS is not set', field: 'proxies.0.url' }] } as never)).toBe('running on 1 (a); unconfigured on b: CORP_PASS is not set (proxies.0.url)');
  });

  const x: ExperimentWire = { id: 2, probe: 'p1', target: 't', proxy: 'direct', kind: 'verify', profile: { name: 'hb', kind: 'heartbeat', interval: '10s', timeout: '5s' }, canaries: 1, purpose: 'try the fix', signature: { key: 'idle-20', nMs: 20_000, kind: 'idle' }, state: 'concluded', createdAt: '2026-11-01T10:00:00.000Z', expiresAt: '2026-11-01T11:00:00.000Z', concludedAt: '2026-11-01T10:30:00.000Z' };

  it('lists experiments with <Instant> and exports them raw', () => {
    const html = renderHtml(ExperimentsList, { experiments: [x] });
    for (const iso of [x.createdAt, x.expiresAt, x.concludedAt!]) expect(html).toContain(`dateTime="${iso}"`);
    expect(exportButtons(html, 'experiments')).toBe(true);
    expect(rowsOf(EXPERIMENT_EXPORT_COLUMNS, [x])[0]).toMatchObject({ id: 2, settings: 'heartbeat every 10s, answer within 5s', created: '2026-11-01T10:00:00.000Z', concluded: '2026-11-01T10:30:00.000Z' });
  });
});

describe('times in the browser\'s zone', () => {
  it('follow ?tz=local only once mounted: the server writes UTC either way', () => {
    const entry: AuditWire = { id: 1, at: '2026-11-01T12:00:00.000Z', actorKind: 'user', actorId: null, actorName: 'a', action: 'x', subjectKind: 'y', subjectId: null, before: null, after: null };
    expect(textOf(renderHtml(AuditTable, { entries: [entry] }, 'tz=local'))).toContain('2026-11-01 12:00:00');
  });
});
