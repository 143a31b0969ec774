/**
 * The admin tables as files (issue 19: CSV and JSON of every table): the columns each table
 * shows, with raw values (ISO instants, the audit entry's before/after as JSON). Secrets are
 * never in these rows to begin with: tokens are listed without their values, the audit log
 * holds none (db/queries/audit.ts).
 */
import type { ExportColumn } from '../../lib/dashboard/table-export';
import { auditChanges } from './audit-diff';
import type { AuditWire } from './audit-table';
import type { TokenWire } from './tokens-panel';
import type { UserWire } from './users-panel';

export type TokenState = 'active' | 'expired' | 'revoked';

/** A token as the table says it: revoked, expired (as of `nowMs`) or active. */
export function tokenState(t: Pick<TokenWire, 'revokedAt' | 'expiresAt'>, nowMs: number): TokenState {
  if (t.revokedAt) return 'revoked';
  if (t.expiresAt && Date.parse(t.expiresAt) <= nowMs) return 'expired';
  return 'active';
}

const json = (v: unknown) => (v === null || v === undefined ? null : JSON.stringify(v));

export const AUDIT_EXPORT_COLUMNS: readonly ExportColumn<AuditWire>[] = [
  { header: 'id', value: (e) => e.id },
  { header: 'at', value: (e) => e.at },
  { header: 'actor', value: (e) => e.actorName },
  { header: 'actor kind', value: (e) => e.actorKind },
  { header: 'actor id', value: (e) => e.actorId },
  { header: 'action', value: (e) => e.action },
  { header: 'subject kind', value: (e) => e.subjectKind },
  { header: 'subject id', value: (e) => e.subjectId },
  { header: 'changed', value: (e) => auditChanges(e.before, e.after).map((c) => c.field).join(' ') },
  { header: 'before', value: (e) => json(e.before) },
  { header: 'after', value: (e) => json(e.after) },
];

export function tokenExportColumns(nowMs: number): ExportColumn<TokenWire>[] {
  return [
    { header: 'id', value: (t) => t.id },
    { header: 'name', value: (t) => t.name },
    { header: 'role', value: (t) => t.role },
    { header: 'state', value: (t) => tokenState(t, nowMs) },
    { header: 'created', value: (t) => t.createdAt },
    { header: 'expires', value: (t) => t.expiresAt },
    { header: 'revoked', value: (t) => t.revokedAt },
    { header: 'last used', value: (t) => t.lastUsedAt },
  ];
}

export const USER_EXPORT_COLUMNS: readonly ExportColumn<UserWire>[] = [
  { header: 'email', value: (u) => u.email },
  { header: 'name', value: (u) => u.name },
  { header: 'role', value: (u) => u.role },
  { header: 'signs in with', value: (u) => u.providers.join(' ') },
  { header: 'added', value: (u) => u.createdAt },
];
