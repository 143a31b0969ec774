'use client';
/**
 * The audit log, newest first: when, who, what on which subject, and what changed (the
 * fields that differ, with the whole before/after JSON a click away). Secrets never reach
 * the log (db/queries/audit.ts), so nothing here needs hiding.
 */
import { TableExport } from '../dashboard/table-export';
import { Instant } from '../dashboard/time-zone';
import css from './admin.module.css';
import { auditChanges } from './audit-diff';
import { AUDIT_EXPORT_COLUMNS } from './exports';

export interface AuditWire {
  id: number;
  at: string;
  actorKind: string;
  actorId: string | null;
  actorName: string;
  action: string;
  subjectKind: string;
  subjectId: string | null;
  before: unknown;
  after: unknown;
}

function Change({ entry }: { entry: AuditWire }) {
  if (entry.before === null && entry.after === null) return <span className="muted">no details recorded</span>;
  const changes = auditChanges(entry.before, entry.after);
  const json = JSON.stringify({ before: entry.before, after: entry.after }, null, 2);
  return (
    <>
      {changes.length === 0 ? (
        <span className="muted">no field changed</span>
      ) : (
        <table className={css.diff} data-testid="audit-diff">
          <tbody>
            {changes.map((c) => (
              <tr key={c.field}>
                <th scope="row">{c.field}</th>
                <td>
                  {c.before !== null && (
                    <span className={css.was}>
                      <span className="sr-only">was </span>
                      {c.before}
                    </span>
                  )}
                  {c.before !== null && c.after !== null && ' → '}
                  {c.after !== null && (
                    <span className={css.now}>
                      <span className="sr-only">now </span>
                      {c.after}
                    </span>
                  )}
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
      <details>
        <summary className={css.sub}>JSON</summary>
        <pre className={css.json}>{json}</pre>
      </details>
    </>
  );
}

export function AuditTable({ entries }: { entries: AuditWire[] }) {
  return (
    <div className={css.tableBlock}>
      <div className={css.tools}>
        <TableExport name="audit" rows={entries} columns={AUDIT_EXPORT_COLUMNS} />
      </div>
      <div className={css.scroll}>
        <table className={css.table} data-testid="audit-table" data-rows={entries.length}>
          <caption className="sr-only">Audit log, newest first</caption>
          <thead>
            <tr>
              <th scope="col">when</th>
              <th scope="col">who</th>
              <th scope="col">action</th>
              <th scope="col">subject</th>
              <th scope="col">change</th>
            </tr>
          </thead>
          <tbody>
            {entries.map((e) => (
              <tr key={e.id} data-testid="audit-row" data-id={e.id} data-action={e.action} data-subject={`${e.subjectKind}:${e.subjectId ?? ''}`}>
                <td>
                  <Instant at={e.at} />
                </td>
                <td>
                  {e.actorName}
                  <span className={css.sub}>{e.actorKind}</span>
                </td>
                <td className={css.mono}>{e.action}</td>
                <td>
                  {e.subjectKind}
                  {e.subjectId !== null && <span className={css.sub}>{e.subjectId}</span>}
                </td>
                <td>
                  <Change entry={e} />
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      </div>
    </div>
  );
}
