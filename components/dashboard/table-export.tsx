'use client';
/**
 * "CSV · JSON" beside a table: the rows it shows, as a file (lib/dashboard/table-export.ts).
 * Every dashboard table has one (issue 19).
 */
import { exportFileName, toCsv, toJson, type ExportColumn } from '../../lib/dashboard/table-export';

function download(text: string, type: string, fileName: string): void {
  const url = URL.createObjectURL(new Blob([text], { type }));
  const a = document.createElement('a');
  a.href = url;
  a.download = fileName;
  document.body.append(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(url), 10_000);
}

export function TableExport<R>({ name, rows, columns }: { name: string; rows: readonly R[]; columns: readonly ExportColumn<R>[] }) {
  const disabled = rows.length === 0;
  return (
    <span className="table-export" role="group" aria-label={`Export ${name}`}>
      <button type="button" disabled={disabled} data-export="csv" onClick={() => download(toCsv(columns, rows), 'text/csv;charset=utf-8', exportFileName(name, 'csv', new Date()))}>
        CSV
      </button>
      <button type="button" disabled={disabled} data-export="json" onClick={() => download(toJson(columns, rows), 'application/json', exportFileName(name, 'json', new Date()))}>
        JSON
      </button>
    </span>
  );
}
