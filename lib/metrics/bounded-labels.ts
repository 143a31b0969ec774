/**
 * Keeps a metric's label sets bounded: past `max` distinct values of a label, new values
 * are reported as "other". A fleet with thousands of paths must not blow up Prometheus.
 */
export class BoundedLabel {
  private readonly seen = new Set<string>();
  constructor(private readonly max: number) {}

  of(value: string): string {
    if (this.seen.has(value)) return value;
    if (this.seen.size >= this.max) return 'other';
    this.seen.add(value);
    return value;
  }
}

/** Close codes as a bounded label: the registered ones by number, the rest by range. */
export function closeCodeLabel(code: number | undefined): string {
  if (code === undefined) return 'none';
  if (code >= 1000 && code <= 1015) return String(code);
  if (code >= 3000 && code <= 3999) return '3xxx';
  if (code >= 4000 && code <= 4999) return '4xxx';
  return 'other';
}
