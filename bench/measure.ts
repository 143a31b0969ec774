/**
 * Measuring helpers shared by the benches: CPU time of processes from /proc (robust to
 * other load on the machine, unlike wall time), the PostgreSQL backends serving a
 * database, and plain-text tables.
 */
import { readFileSync } from 'node:fs';
import os from 'node:os';
import { sql } from 'drizzle-orm';
import type { Database } from '../db/client';

const TICK_MS = 10; // USER_HZ is 100 on Linux.

/** User + system CPU of a process so far, in ms, from /proc/PID/stat (0 once it is gone). */
export function cpuMs(pid: number): number {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return (Number(fields[11]) + Number(fields[12])) * TICK_MS;
  } catch {
    return 0;
  }
}

/** This process's CPU so far, in ms (finer than /proc). */
export function ownCpuMs(): number {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1000;
}

/**
 * The PostgreSQL client backends connected to `database`'s database, the asker's own pool
 * included: it idles while a meter runs, and leaving out only the connection that
 * happens to answer would make it look new (counted from zero) in the next snapshot.
 */
export async function backendPids(database: Database): Promise<number[]> {
  const rows = await database.db.execute<{ pid: number }>(
    sql`select pid from pg_stat_activity where datname = current_database() and backend_type = 'client backend'`,
  );
  // postgres.js answers an array of rows, PGlite an object with `rows`.
  const list = Array.isArray(rows) ? rows : (rows as unknown as { rows: { pid: number }[] }).rows;
  return list.map((r) => Number(r.pid));
}

/**
 * CPU spent by a set of processes between start() and stop(). Processes that appear in
 * between (a pool opening connections) count from zero.
 */
export async function cpuMeter(pids: () => Promise<number[]> | number[]): Promise<{ stop(): Promise<number> }> {
  const start = new Map((await pids()).map((pid) => [pid, cpuMs(pid)]));
  return {
    async stop() {
      let total = 0;
      for (const pid of await pids()) total += cpuMs(pid) - (start.get(pid) ?? 0);
      return total;
    },
  };
}

/** The q-quantile of ascending `sorted` (nearest rank). */
export function quantile(sorted: readonly number[], q: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))] ?? NaN;
}

/** Columns padded to width; the first left-aligned, the rest right-aligned. */
export function formatTable(head: string[], rows: string[][]): string {
  const widths = head.map((h, i) => Math.max(h.length, ...rows.map((c) => c[i]?.length ?? 0)));
  const line = (c: string[]) => c.map((x, i) => (i === 0 ? x.padEnd(widths[i]!) : x.padStart(widths[i]!))).join('  ').trimEnd();
  return [line(head), widths.map((w) => '-'.repeat(w)).join('  '), ...rows.map(line)].join('\n');
}

/** CPUs, memory, Node and kernel: the figures mean nothing without them. */
export function machineLine(): string {
  const cpus = os.cpus();
  return `machine: ${cpus.length} cpus (${cpus[0]?.model.trim() ?? 'unknown'}), ${Math.round(os.totalmem() / 2 ** 30)} GiB RAM, node ${process.version}, ${os.platform()} ${os.release()}`;
}
