/**
 * What an audit entry changed, field by field: the top-level fields whose values differ
 * between `before` and `after` (a field absent on one side counts as null). A create has
 * only `after`, a delete only `before`: every field is then listed on its side.
 */
export interface FieldChange {
  field: string;
  before: string | null;
  after: string | null;
}

const show = (v: unknown): string | null => (v === undefined || v === null ? null : typeof v === 'string' ? v : JSON.stringify(v));

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

export function auditChanges(before: unknown, after: unknown): FieldChange[] {
  if (!isRecord(before) && !isRecord(after)) {
    const b = show(before);
    const a = show(after);
    return b === a ? [] : [{ field: '(value)', before: b, after: a }];
  }
  const b = isRecord(before) ? before : {};
  const a = isRecord(after) ? after : {};
  const fields = [...new Set([...Object.keys(b), ...Object.keys(a)])];
  return fields
    .map((field) => ({ field, before: show(b[field]), after: show(a[field]) }))
    .filter((c) => c.before !== c.after);
}
