/**
 * The open-sessions journal: what a killed probe left open comes back as endings, and a disk
 * that fails under it (full, read-only, directory removed; real ones, on a tmpfs of the
 * test's own) never throws into the canaries, is logged at most once a minute, and gets the
 * journal rewritten once writes work again. Time is a fake clock.
 */
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { OpenSessionJournal } from '../../agent/open-sessions';
import { path as pathOf } from '../helpers/events';
import { fakeClock } from '../helpers/fake-clock';
import { mountTmpfs, tmpfsRefusal, type Tmpfs } from '../helpers/tmpfs';
import { capturedLog } from '../helpers/log-capture';

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

  const refusal = tmpfsRefusal();
  describe.skipIf(refusal !== null)(`on a real tmpfs${refusal ? ` (skipped: ${refusal})` : ''}`, () => {
    let fs: Tmpfs;
    beforeAll(() => {
      fs = mountTmpfs('128k', { name: 'dropscope-journal-tmpfs' });
    });
    afterEach(async () => {
      await fs.heal();
      fs.clear();
    });
    afterAll(() => {
      fs?.unmount();
    });

    it('never throws on a full disk, says so at most once a minute, and rewrites the journal once space is freed', () => {
      const j = journalIn(fs.dir);
      j.journal.recover(T);
      j.churn(5);
      fs.fill();

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

      fs.free();
      j.advance(5_000);
      j.churn(1);
      expect(j.journal.stale).toBe(false);
      expect(j.messages()).toHaveLength(3);
      expect(j.recorded()).toEqual(j.open);
    });

    it('never throws on a disk remounted read-only, and rewrites the journal once it is writable', async () => {
      const j = journalIn(fs.dir);
      j.journal.recover(T);
      j.churn(5);
      await fs.remount('ro');
      expect(() => j.churn(100)).not.toThrow();
      expect(j.messages()).toEqual([expect.stringMatching(/: cannot write \(EROFS: read-only file system, open .*\)/)]);
      // What a restart now would see: the journal as it was when the disk went read-only.
      expect(j.recorded().size).toBeLessThan(j.open.size);

      await fs.remount('rw');
      j.advance(5_000);
      j.churn(1);
      expect(j.recorded()).toEqual(j.open);
      expect(j.messages()).toHaveLength(2);
    });
  });
});
