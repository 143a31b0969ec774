/**
 * A dashboard table as a file (issue 19): CSV (RFC 4180) or JSON, from the rows the table
 * shows and the columns it names. Pure; components/dashboard/table-export.tsx offers the
 * download.
 *
 * CSV cells a spreadsheet would run as a formula (starting with `=`, `+`, `-`, `@`, a tab
 * or a carriage return, as a probe name or a layer's header can) are prefixed with `'`
 * (OWASP's CSV injection advice); numbers are written as numbers.
 */
export type ExportCell = string | number | boolean | null | undefined;

export interface ExportColumn<R> {
  /** The column's header, also the JSON key. */
  header: string;
  value: (row: R) => ExportCell;
}

const FORMULA = /^[=+\-@\t\r]/;

function csvCell(v: ExportCell): string {
  if (v === null || v === undefined) return '';
  if (typeof v === 'number') return Number.isFinite(v) ? String(v) : '';
  if (typeof v === 'boolean') return v ? 'true' : 'false';
  const text = FORMULA.test(v) ? `'${v}` : v;
  return /[",\r\n]/.test(text) ? `"${text.replace(/"/g, '""')}"` : text;
}

export function toCsv<R>(columns: readonly ExportColumn<R>[], rows: readonly R[]): string {
  const lines = [columns.map((c) => csvCell(c.header)).join(',')];
  for (const row of rows) lines.push(columns.map((c) => csvCell(c.value(row))).join(','));
  return `${lines.join('\r\n')}\r\n`;
}

export function toJson<R>(columns: readonly ExportColumn<R>[], rows: readonly R[]): string {
  const out = rows.map((row) => Object.fromEntries(columns.map((c) => {
    const v = c.value(row);
    return [c.header, v === undefined || (typeof v === 'number' && !Number.isFinite(v)) ? null : v];
  })));
  return `${JSON.stringify(out, null, 2)}\n`;
}

/** `sessions-2026-12-06T1403Z.csv`: a file name that says what and when, safe on every OS. */
export function exportFileName(name: string, format: 'csv' | 'json', at: Date): string {
  const base = name.toLowerCase().replace(/[^a-z0-9]+/g, '-').replace(/^-|-$/g, '') || 'table';
  const stamp = at.toISOString().slice(0, 16).replace(/[-:]/g, '');
  return `${base}-${stamp}Z.${format}`;
}
