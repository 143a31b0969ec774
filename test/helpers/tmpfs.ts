/**
 * A small tmpfs of a test's own, for disk faults that are real: filled (ENOSPC), remounted
 * read-only (EROFS), emptied. Root ignores permission bits, so chmod would prove nothing.
 *
 *   const refusal = tmpfsRefusal();              // at collection time
 *   describe.skipIf(refusal !== null)(`... ${refusal ? `(skipped: ${refusal})` : ''}`, () => {
 *     beforeAll(() => { fs = mountTmpfs('256k'); });
 *     afterAll(() => fs?.unmount());             // whatever the tests did
 *
 * A machine that refuses the mount (EPERM: not root, no CAP_SYS_ADMIN, not Linux) skips with
 * the reason; any other mount failure fails the file.
 */
import { spawnSync } from 'node:child_process';
import { closeSync, mkdtempSync, openSync, readdirSync, rmSync, writeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';

function run(cmd: string, args: string[]): { ok: true } | { ok: false; why: string } {
  const r = spawnSync(cmd, args, { encoding: 'utf8' });
  return r.status === 0 ? { ok: true } : { ok: false, why: `${cmd} ${args.join(' ')} failed: ${(r.stderr || r.error?.message || `exit ${r.status}`).trim()}` };
}

function must(cmd: string, args: string[]): void {
  const r = run(cmd, args);
  if (!r.ok) throw new Error(r.why);
}

/** Why this machine cannot mount a tmpfs (skip), or null. Any other mount failure throws. */
export function tmpfsRefusal(): string | null {
  if (process.platform !== 'linux') return 'tmpfs mounts need Linux';
  const dir = mkdtempSync(path.join(tmpdir(), 'dropscope-mount-probe-'));
  const r = spawnSync('mount', ['-t', 'tmpfs', '-o', 'size=64k', 'tmpfs', dir], { encoding: 'utf8' });
  if (r.status === 0) must('umount', [dir]);
  rmSync(dir, { recursive: true, force: true });
  if (r.status === 0) return null;
  const why = (r.stderr || r.error?.message || '').trim();
  if (r.error || /permission denied|must be superuser|not permitted|EPERM/i.test(why)) return `mount refused (EPERM): ${why}`;
  throw new Error(`mount -t tmpfs failed: ${why}`);
}

export interface Tmpfs {
  /** The mount point, under os.tmpdir(). */
  readonly dir: string;
  /**
   * Remount read-only or writable. The kernel refuses a read-only remount (busy) while a file
   * on it is open for writing: a process under test may be in the middle of a write, so a busy
   * refusal is tried again, letting the event loop run in between (bounded).
   */
  remount(mode: 'ro' | 'rw'): Promise<void>;
  /** Take every free page (bounded); the last pages of files already there keep their slack. */
  fill(): void;
  /** Free what fill() took. */
  free(): void;
  /** Writable with free space again (before closing what a test left open). */
  heal(): Promise<void>;
  /** Remove everything on it (between tests). */
  clear(): void;
  /** Unmount (lazily when busy: a handle a failed test left open) and remove the mount point. Never throws. */
  unmount(): void;
}

const BUSY = /busy/i;

/** Mount a tmpfs of `size` (mount's syntax: `256k`, `1m`) on a fresh directory under os.tmpdir(). */
export function mountTmpfs(size: string, options: { name?: string } = {}): Tmpfs {
  const dir = mkdtempSync(path.join(tmpdir(), `${options.name ?? 'dropscope-tmpfs'}-`));
  const mounted = run('mount', ['-t', 'tmpfs', '-o', `size=${size}`, 'tmpfs', dir]);
  if (!mounted.ok) {
    rmSync(dir, { recursive: true, force: true });
    throw new Error(mounted.why);
  }
  const filler = path.join(dir, 'filler');
  let readOnly = false;
  return {
    dir,
    async remount(mode) {
      for (let i = 0; ; i++) {
        const r = run('mount', ['-o', `remount,${mode}`, dir]);
        if (r.ok) break;
        if (!BUSY.test(r.why) || i >= 200) throw new Error(i > 0 ? `${r.why} (after ${i} tries)` : r.why);
        await new Promise((resolve) => setTimeout(resolve, 10));
      }
      readOnly = mode === 'ro';
    },
    fill() {
      const fd = openSync(filler, 'a');
      const chunk = Buffer.alloc(4096, 0x61);
      try {
        for (let i = 0; i < 100_000; i++) writeSync(fd, chunk);
        throw new Error('the tmpfs never filled up');
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code !== 'ENOSPC') throw err;
      } finally {
        closeSync(fd);
      }
    },
    free() {
      rmSync(filler, { force: true });
    },
    async heal() {
      if (readOnly) await this.remount('rw');
      this.free();
    },
    clear() {
      for (const name of readdirSync(dir)) rmSync(path.join(dir, name), { recursive: true, force: true });
    },
    unmount() {
      if (!run('umount', [dir]).ok) spawnSync('umount', ['-l', dir]);
      try {
        rmSync(dir, { recursive: true, force: true });
      } catch {
        // Still mounted (even a lazy unmount failed): the run directory's cleanup gets another go.
      }
    },
  };
}
