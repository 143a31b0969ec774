/**
 * One temporary directory per test run, removed at its end: every test makes its data
 * directories, spools and browser profiles under os.tmpdir(), so pointing TMPDIR here
 * (before the workers start, which inherit it) cleans up after servers a test stopped and
 * restarted, failed starts and crashed files alike, without touching a concurrent run's.
 */
import { chmodSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';

let runDir: string | undefined;

export function setup(): void {
  runDir = mkdtempSync(path.join(tmpdir(), 'dropscope-run-'));
  // Traversable (not listable) by others: the lab's daemons drop to their own users (squid
  // runs as `proxy`) and must reach the directories the tests make for them in here.
  chmodSync(runDir, 0o711);
  process.env.TMPDIR = runDir;
}

export function teardown(): void {
  if (runDir) rmSync(runDir, { recursive: true, force: true });
}
