/**
 * The open-sessions journal: what a killed probe left open comes back as endings, and a disk
 * that fails under it (full, read-only, directory removed; real ones, on a tmpfs of the
 * test's own) never throws into the canaries, is logged at most once a minute, and gets the
 * journal rewritten once writes work again. Time is a fake clock.
 */
import { spawnSync } from 'node:child_process';
import { closeSync, mkdirSync, mkdtempSync, openSync, readdirSync, rmSync, writeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { OpenSessionJournal } from '../../agent/open-sessions';
import { createLogger } from '../../lib/log';
import { path as pathOf } from '../helpers/events';
import { fakeClock } from '../helpers/fake-clock';

function run(cmd: string, args: string[]): void {
  const r = spawnSync(cmd, args, { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`${cmd} ${args.join(' ')} failed: ${r.stderr || r.error?.message}`);
}

/** Why this machine cannot mount a tmpfs (skip), or null. Any other mount failure fails the file. */
function mountRefusal(): string | null {
  if (process.platform !== 'linux') return 'tmpfs mounts need Linux';
  const dir = mkdtempSync(path.join(tmpdir(), 'dropscope-mount-probe-'));
  const r = spawnSync('mount', ['-t', 'tmpfs', '-o', 'size=64k', 'tmpfs', dir], { encoding: 'utf8' });
  if (r.status === 0) run('umount', [dir]);
  rmSync(dir, { recursive: true, force: true });
  if (r.status === 0) return null;
  const why = (r.stderr || r.error?.message || '').trim();
  if (r.error || /permission denied|must be superuser|not permitted|EPERM/i.test(why)) return `mount refused (EPERM): ${why}`;
  throw new Error(`mount -t tmpfs failed: ${why}`);
}

function capturedLog() {
  const lines: Record<string, any>[] = [];
  const log = createLogger({ level: 'debug', destination: { write: (s: string) => void lines.push(JSON.parse(s)) } });
  return { log, lines };
}

const T = new Date('2026-11-01T12:00:00.000Z');
let n = 0;
const session = () => ({ sessionId: `s-${++n}`, path: pathOf(), attemptedAt: T.toISOString(), openedAt: T.toISOString() });

/** A journal with a fake clock, a captured log, and the set of sessions it should hold. */
function journalIn(dir: string) {
  const time = fakeClock();
  const logged = capturedLog();
  const journal = new OpenSessionJournal(dir, { log: logged.log, now: time.clock.now });
  const open = new Set<string>();
  return {
    journal,
    open,
    advance: time.advance,
    messages: () => logged.lines.map((l) => l.msg as string),
    /** Open `k` sessions and close every third of all open ones. */
    churn(k: number) {
      for (let i = 0; i < k; i++) {
        const s = session();
        journal.opened(s);
        open.add(s.sessionId);
      }
      for (const id of [...open].filter((_, i) => i % 3 === 0)) {
        journal.closed(id);
        open.delete(id);
      }
    },
    /** What a restarted process would close: the sessions recorded in the file (which that recovery starts afresh, where it can). */
    recorded: () => new Set(new OpenSessionJournal(dir).recover(T).map((e) => e.sessionId)),
  };
}

describe('OpenSessionJournal', () => {
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(path.join(tmpdir(), 'dropscope-journal-'));
  });
  afterEach(() => {
    rmSync(dir, { recursive: true, force: true });
  });

  it('returns endings for the sessions a killed process left open, and starts afresh', () => {
    const j = journalIn(dir);
    expect(j.journal.recover(T)).toEqual([]);
    j.churn(10);
    const endings = new OpenSessionJournal(dir).recover(new Date(T.getTime() + 60_000));
    expect(new Set(endings.map((e) => e.sessionId))).toEqual(j.open);
    expect(endings[0]).toMatchObject({ type: 'session.ended', endKind: 'probe_closed', errorCode: 'PROBE_RESTARTED', durationMs: 60_000 });
    expect(j.recorded()).toEqual(new Set());
  });

  it('keeps the sessions in memory while the directory is removed, and rewrites the journal once it is back', () => {
    const j = journalIn(dir);
    j.journal.recover(T);
    j.churn(5);
    rmSync(dir, { recursive: true, force: true });
    expect(() => j.churn(50)).not.toThrow();
    expect(j.journal.stale).toBe(true);
    expect(j.messages()).toEqual([expect.stringMatching(/^open-sessions journal .*: cannot write \(ENOENT: no such file or directory, open .*\): keeping open sessions in memory/)]);

    mkdirSync(dir); // as the spool does when it finds its directory gone
    j.advance(5_000);
    j.churn(1);
    expect(j.journal.stale).toBe(false);
    expect(j.recorded()).toEqual(j.open);
    expect(j.messages()).toHaveLength(2);
    expect(j.messages()[1]).toMatch(/writable again, rewrote it$/);
  });

  const refusal = mountRefusal();
  describe.skipIf(refusal !== null)(`on a real tmpfs${refusal ? ` (skipped: ${refusal})` : ''}`, () => {
    let mnt: string;
    let readOnly = false;
    beforeAll(() => {
      mnt = mkdtempSync(path.join(tmpdir(), 'dropscope-journal-tmpfs-'));
      run('mount', ['-t', 'tmpfs', '-o', 'size=128k', 'tmpfs', mnt]);
    });
    afterEach(() => {
      if (readOnly) run('mount', ['-o', 'remount,rw', mnt]);
      readOnly = false;
      for (const name of readdirSync(mnt)) rmSync(path.join(mnt, name), { recursive: true, force: true });
    });
    afterAll(() => {
      if (spawnSync('umount', [mnt]).status !== 0) spawnSync('umount', ['-l', mnt]);
      rmSync(mnt, { recursive: true, force: true });
    });

    it('never throws on a full disk, says so at most once a minute, and rewrites the journal once space is freed', () => {
      const j = journalIn(mnt);
      j.journal.recover(T);
      j.churn(5);
      const filler = path.join(mnt, 'filler');
      const fd = openSync(filler, 'a');
      try {
        for (let i = 0; i < 100_000; i++) writeSync(fd, Buffer.alloc(4096));
        throw new Error('the tmpfs never filled up');
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code !== 'ENOSPC') throw err;
      } finally {
        closeSync(fd);
      }

      expect(() => j.churn(300)).not.toThrow();
      expect(j.journal.stale).toBe(true);
      expect(j.messages()).toEqual([expect.stringMatching(/: cannot write \(ENOSPC: no space left on device, write\): keeping open sessions in memory/)]);
      // Retried every 5 s on the next open or close; said again only once a minute has passed.
      for (let i = 0; i < 11; i++) {
        j.advance(5_000);
        j.churn(3);
      }
      expect(j.messages()).toHaveLength(1);
      j.advance(5_000);
      j.churn(3);
      expect(j.messages()).toHaveLength(2);

      rmSync(filler);
      j.advance(5_000);
      j.churn(1);
      expect(j.journal.stale).toBe(false);
      expect(j.messages()).toHaveLength(3);
      expect(j.recorded()).toEqual(j.open);
    });

    it('never throws on a disk remounted read-only, and rewrites the journal once it is writable', () => {
      const j = journalIn(mnt);
      j.journal.recover(T);
      j.churn(5);
      run('mount', ['-o', 'remount,ro', mnt]);
      readOnly = true;
      expect(() => j.churn(100)).not.toThrow();
      expect(j.messages()).toEqual([expect.stringMatching(/: cannot write \(EROFS: read-only file system, open .*\)/)]);
      // What a restart now would see: the journal as it was when the disk went read-only.
      expect(j.recorded().size).toBeLessThan(j.open.size);

      run('mount', ['-o', 'remount,rw', mnt]);
      readOnly = false;
      j.advance(5_000);
      j.churn(1);
      expect(j.recorded()).toEqual(j.open);
      expect(j.messages()).toHaveLength(2);
    });
  });
});
