/**
 * The signature members' rows, kept by session id: a week's signatures show the same 500
 * latest members per window on every refresh, and reading them again is the slowest part of
 * a report from memory (1,500 primary-key lookups of wide rows, ~40 ms in PostgreSQL and as
 * much again to parse). Ingest forgets every id it writes (the session or the target's view
 * of it), so an entry is always what the tables hold.
 *
 * A read that began before such a write may return the row as it was: `keep` takes the
 * generation read at the start and stores nothing if anything was forgotten since.
 */
export class MemberCache<T> {
  private readonly entries = new Map<string, T>();
  private changes = 0;

  constructor(private readonly capacity = 20_000) {}

  /** Count of forget() calls so far: pass it to keep() for rows read after this. */
  get generation(): number {
    return this.changes;
  }

  get(id: string): T | undefined {
    const value = this.entries.get(id);
    if (value !== undefined) {
      // Most recently used last: eviction takes from the front.
      this.entries.delete(id);
      this.entries.set(id, value);
    }
    return value;
  }

  keep(generation: number, rows: Iterable<readonly [string, T]>): void {
    if (generation !== this.changes) return;
    for (const [id, value] of rows) this.entries.set(id, value);
    for (const id of this.entries.keys()) {
      if (this.entries.size <= this.capacity) break;
      this.entries.delete(id);
    }
  }

  forget(ids: Iterable<string>): void {
    this.changes++;
    for (const id of ids) this.entries.delete(id);
  }
}
