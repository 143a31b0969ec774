import { describe, expect, it } from 'vitest';
import { exportFileName, toCsv, toJson, type ExportColumn } from '../../../lib/dashboard/table-export';

type Row = { name: string; n: number | null; ok: boolean };
const columns: ExportColumn<Row>[] = [
  { header: 'name', value: (r) => r.name },
  { header: 'n', value: (r) => r.n },
  { header: 'ok', value: (r) => r.ok },
];

describe('table export', () => {
  it('writes RFC 4180 CSV: quotes, doubled quotes, CRLF', () => {
    const csv = toCsv(columns, [
      { name: 'plain', n: 1.5, ok: true },
      { name: 'a, "b"\nc', n: null, ok: false },
    ]);
    expect(csv).toBe('name,n,ok\r\nplain,1.5,true\r\n"a, ""b""\nc",,false\r\n');
  });

  it('defuses cells a spreadsheet would run as a formula', () => {
    const csv = toCsv(columns, [{ name: '=HYPERLINK("x")', n: -3, ok: true }, { name: '@sum', n: 0, ok: true }]);
    expect(csv.split('\r\n')[1]).toBe(`"'=HYPERLINK(""x"")",-3,true`);
    expect(csv.split('\r\n')[2]).toBe(`'@sum,0,true`);
  });

  it('writes JSON objects keyed by header, non-finite numbers as null', () => {
    const json = JSON.parse(toJson(columns, [{ name: 'x', n: Number.NaN, ok: true }])) as unknown;
    expect(json).toEqual([{ name: 'x', n: null, ok: true }]);
  });

  it('names the file for what and when', () => {
    expect(exportFileName('Path sessions', 'csv', new Date('2026-12-06T14:03:09Z'))).toBe('path-sessions-20261206T1403Z.csv');
  });
});
