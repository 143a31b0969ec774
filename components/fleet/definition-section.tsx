'use client';
/**
 * One section of the fleet page (paths, targets, proxies, profiles or chains): a table of the
 * definitions, and for editors "New", "Edit" in place and "Delete" (asked first; the API's
 * refusal, e.g. a target still used by a path, shows as a banner). Viewers get the table.
 */
import { useRouter } from 'next/navigation';
import { useState, type ReactNode } from 'react';
import type { ExportCell, ExportColumn } from '../../lib/dashboard/table-export';
import { apiCall } from '../alerts/api-call';
import { TableExport } from '../dashboard/table-export';
import css from './fleet.module.css';

export interface Column<T> {
  header: string;
  cell(row: T): ReactNode;
  num?: boolean;
  /** The raw value for the CSV/JSON export when `cell` draws more than a string or number. */
  value?(row: T): ExportCell;
}

/**
 * The export of a section's table: its id, then its columns, each with its raw `value`, or
 * what `cell` gives when that is plain text or a number (anything drawn is left empty
 * rather than guessed at).
 */
export function definitionExportColumns<T extends { id: number }>(columns: readonly Column<T>[]): ExportColumn<T>[] {
  return [
    { header: 'id', value: (row) => row.id },
    ...columns.map((c) => ({
      header: c.header,
      value: (row: T): ExportCell => {
        if (c.value) return c.value(row);
        const v = c.cell(row);
        return typeof v === 'string' || typeof v === 'number' || typeof v === 'boolean' ? v : null;
      },
    })),
  ];
}

export function DefinitionSection<T extends { id: number }>(props: {
  /** "path", "target", ...: names the buttons and the confirmation. */
  noun: string;
  title: string;
  intro: ReactNode;
  empty: string;
  rows: readonly T[];
  columns: Column<T>[];
  rowTestId: string;
  rowName(row: T): string;
  rowData?(row: T): Record<string, string>;
  apiPath: string;
  canEdit: boolean;
  form(row: T | undefined, onDone: () => void): ReactNode;
  /** What the delete confirmation adds after the question; by default that probes stop running it. */
  deleteNote?: string;
}) {
  const { noun, title, rows, columns, canEdit } = props;
  const router = useRouter();
  const [editing, setEditing] = useState<number | 'new' | null>(null);
  const [error, setError] = useState<string | null>(null);
  const headingId = `fleet-${noun}-title`;
  const done = () => {
    setEditing(null);
    setError(null);
    router.refresh();
  };
  async function remove(row: T) {
    if (!window.confirm(`Delete the ${noun} ${props.rowName(row)}? ${props.deleteNote ?? 'Probes stop running it at their next fetch.'}`)) return;
    const r = await apiCall(`${props.apiPath}/${row.id}`, 'DELETE');
    if (!r.ok) setError(r.message ?? `the ${noun} was not deleted`);
    else done();
  }
  const span = columns.length + (canEdit ? 1 : 0);

  return (
    <section className={css.section} aria-labelledby={headingId} data-testid={`fleet-${title.toLowerCase()}`}>
      <div className={css.sectionHeader}>
        <h2 id={headingId}>{title}</h2>
        <span className={css.tools}>
          <TableExport name={`fleet-${title}`} rows={rows} columns={definitionExportColumns(columns)} />
          {canEdit && editing !== 'new' && (
            <button type="button" className={css.primary} onClick={() => setEditing('new')}>
              New {noun}
            </button>
          )}
        </span>
      </div>
      <p className={css.note}>{props.intro}</p>
      {error && (
        <p className={`${css.banner} ${css.bannerError}`} role="alert" data-testid={`fleet-${noun}-error`}>
          {error}
        </p>
      )}
      {editing === 'new' && props.form(undefined, done)}
      {rows.length === 0 ? (
        <p className={css.note}>{props.empty}</p>
      ) : (
        <div className={css.scroll}>
          <table className={css.table} data-rows={rows.length}>
            <caption className="sr-only">{title}</caption>
            <thead>
              <tr>
                {columns.map((c) => (
                  <th key={c.header} scope="col" className={c.num ? css.num : undefined}>
                    {c.header}
                  </th>
                ))}
                {canEdit && (
                  <th scope="col">
                    <span className="sr-only">actions</span>
                  </th>
                )}
              </tr>
            </thead>
            <tbody>
              {rows.map((row) => [
                <tr key={row.id} data-testid={props.rowTestId} {...props.rowData?.(row)}>
                  {columns.map((c, i) =>
                    i === 0 ? (
                      <th key={c.header} scope="row" className={c.num ? css.num : undefined}>
                        {c.cell(row)}
                      </th>
                    ) : (
                      <td key={c.header} className={c.num ? css.num : undefined}>
                        {c.cell(row)}
                      </td>
                    ),
                  )}
                  {canEdit && (
                    <td>
                      <div className={css.actions}>
                        <button type="button" className={css.button} onClick={() => setEditing(row.id)} aria-label={`Edit ${noun} ${props.rowName(row)}`}>
                          Edit
                        </button>
                        <button type="button" className={css.button} onClick={() => void remove(row)} aria-label={`Delete ${noun} ${props.rowName(row)}`}>
                          Delete
                        </button>
                      </div>
                    </td>
                  )}
                </tr>,
                editing === row.id && (
                  <tr key={`${row.id}-edit`}>
                    <td colSpan={span}>{props.form(row, done)}</td>
                  </tr>
                ),
              ])}
            </tbody>
          </table>
        </div>
      )}
    </section>
  );
}
