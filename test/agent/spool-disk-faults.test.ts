/**
 * The spool on disks that fail under it, for real: a small tmpfs of the test's own that it
 * fills (ENOSPC) and remounts read-only (root ignores permission bits, so chmod would prove
 * nothing), and a directory removed mid-run. For each: appends keep resolving, peek returns
 * every event in order including those held in memory, nothing is lost while the memory
 * bound holds, lostEvents moves only past it, the log stays bounded, and the held events
 * land on disk after the recovery. The retry runs on a fake clock: no wall-clock bounds.
 */
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { LOCK_FILE, Spool, type SpoolOptions } from '../../agent/spool';
import type { IngestEvent } from '../../lib/contracts/ingest';
import { heartbeat } from '../helpers/events';
import { fakeClock } from '../helpers/fake-clock';
import { mountTmpfs, tmpfsRefusal, type Tmpfs } from '../helpers/tmpfs';
import { capturedLog } from '../helpers/log-capture';

const ids = (events: IngestEvent[]) => events.map((e) => e.id);
const events = (n: number) => Array.from({ length: n }, () => heartbeat());
const segmentFiles = (dir: string) => readdirSync(dir).filter((f) => f.startsWith('segment-')).sort();

/** What the spool said about the disk (its routine opened/closed lines aside). */
const said = (lines: Record<string, any>[]) => lines.filter((l) => l.module === 'spool' && !/^spool (opened|closed)$/.test(l.msg)).map((l) => l.msg as string);

function harness() {
  const open: Spool[] = [];
  let logged = capturedLog();
  let time = fakeClock();
  return {
    get lines() {
      return logged.lines;
    },
    get advance() {
      return time.advance;
    },
    reset() {
      logged = capturedLog();
      time = fakeClock();
    },
    async open(dir: string, options: Partial<SpoolOptions> = {}): Promise<Spool> {
      const spool = await Spool.open(dir, { maxBytes: 1 << 20, segmentBytes: 1000, log: logged.log, timers: time.clock, now: time.clock.now, ...options });
      open.push(spool);
      return spool;
    },
    /** Let `ms` pass in 5 s retry steps, each waited for (peek queues behind the retry). */
    async pass(spool: Spool, ms: number): Promise<void> {
      for (let t = 0; t < ms; t += 5_000) {
        time.advance(5_000);
        await spool.peek(1);
      }
    },
    async closeAll(): Promise<void> {
      await Promise.all(open.splice(0).map((s) => s.close()));
    },
  };
}

const refusal = tmpfsRefusal();

describe.skipIf(refusal !== null)(`spool on a real tmpfs${refusal ? ` (skipped: ${refusal})` : ''}`, () => {
  let fs: Tmpfs;
  let dir: string;
  const h = harness();

  beforeAll(() => {
    fs = mountTmpfs('256k');
  });
  afterAll(() => {
    fs?.unmount();
  });
  beforeEach(() => {
    h.reset();
    dir = path.join(fs.dir, 'spool');
  });
  afterEach(async () => {
    await fs.heal();
    await h.closeAll();
    fs.clear();
  });

  it('holds appends in memory on a full disk, serves them in order, and writes them out once space is freed', async () => {
    const spool = await h.open(dir);
    const before = events(10);
    for (const e of before) await spool.append([e]);
    fs.fill();

    const during = events(200);
    for (const e of during.slice(0, 50)) await spool.append([e]);
    await Promise.all(during.slice(50).map((e) => spool.append([e])));
    const health = spool.health();
    expect(health).toMatchObject({ writable: false, lostEvents: 0, lastError: expect.stringMatching(/^ENOSPC: no space left on device/) });
    expect(health.memoryEvents).toBeGreaterThan(150);
    expect(spool.depth()).toBe(210);
    expect(ids((await spool.peek(1000)).events)).toEqual(ids([...before, ...during]));
    expect(said(h.lines)).toEqual([`spool ${dir}: cannot write (ENOSPC: no space left on device): holding events in memory`]);

    // Still full: retried every 5 s, restated once a minute, not once per retry or append.
    await h.pass(spool, 55_000);
    expect(said(h.lines)).toHaveLength(1);
    await h.pass(spool, 5_000);
    expect(said(h.lines)[1]).toBe(`spool ${dir}: still cannot write (ENOSPC: no space left on device): ${health.memoryEvents} events held in memory, 0 lost`);

    fs.free();
    await h.pass(spool, 5_000);
    expect(spool.health()).toMatchObject({ writable: true, memoryEvents: 0, memoryBytes: 0, lostEvents: 0 });
    expect(said(h.lines)).toEqual([expect.any(String), expect.any(String), `spool ${dir}: writable again: wrote ${health.memoryEvents} held events to disk`]);
    const after = events(3);
    await spool.append(after);
    expect(spool.health().memoryEvents).toBe(0);
    await spool.close();

    const reopened = await h.open(dir);
    expect(ids((await reopened.peek(1000)).events)).toEqual(ids([...before, ...during, ...after]));
    expect(reopened.droppedEvents()).toBe(0);
  });

  it.each([
    ['count', (_line: number) => ({ memoryMaxEvents: 20 }), 20],
    ['bytes', (line: number) => ({ memoryMaxBytes: line * 15 + line - 1 }), 15],
  ])('drops the oldest held events past the memory bound (%s) and counts them lost', async (_, bound, keep) => {
    const all = events(50);
    const lineBytes = Buffer.byteLength(JSON.stringify(all[0]) + '\n');
    const spool = await h.open(dir, bound(lineBytes));
    fs.fill();

    for (const e of all) await spool.append([e]);
    expect(spool.health()).toMatchObject({ writable: false, memoryEvents: keep, memoryBytes: lineBytes * keep, lostEvents: 50 - keep });
    expect(spool.depth()).toBe(keep);
    expect(ids((await spool.peek(100)).events)).toEqual(ids(all.slice(50 - keep)));
    expect(said(h.lines)).toHaveLength(1);

    await h.pass(spool, 60_000);
    expect(said(h.lines)[1]).toMatch(new RegExp(`still cannot write \\(ENOSPC[^)]*\\): ${keep} events held in memory, ${50 - keep} lost$`));
    fs.free();
    await h.pass(spool, 5_000);
    expect(said(h.lines)[2]).toBe(`spool ${dir}: writable again: wrote ${keep} held events to disk; ${50 - keep} events were lost while it was not`);
    await spool.close();

    const reopened = await h.open(dir);
    expect(ids((await reopened.peek(100)).events)).toEqual(ids(all.slice(50 - keep)));
  });

  it('does not announce a disk that fills up again within a minute of the last line, and restates it once the minute is over', async () => {
    const spool = await h.open(dir);
    const all = events(40);
    fs.fill();
    for (const e of all.slice(0, 10)) await spool.append([e]);
    fs.free();
    await h.pass(spool, 5_000);
    expect(said(h.lines)).toEqual([expect.stringMatching(/cannot write \(ENOSPC/), `spool ${dir}: writable again: wrote 10 held events to disk`]);

    fs.fill();
    for (const e of all.slice(10, 30)) await spool.append([e]);
    fs.free();
    await h.pass(spool, 5_000);
    fs.fill();
    for (const e of all.slice(30)) await spool.append([e]);
    expect(spool.health()).toMatchObject({ writable: false, lostEvents: 0 });
    expect(said(h.lines)).toHaveLength(2);
    // The last line was the recovery at 5 s: the next may come at 65 s, not before.
    await h.pass(spool, 50_000);
    expect(said(h.lines)).toHaveLength(2);
    await h.pass(spool, 5_000);
    expect(said(h.lines)[2]).toMatch(/still cannot write \(ENOSPC: no space left on device\): \d+ events held in memory, 0 lost$/);
    expect(said(h.lines)).toHaveLength(3);

    fs.free();
    await h.pass(spool, 5_000);
    expect(said(h.lines)[3]).toMatch(/writable again/);
    expect(ids((await spool.peek(100)).events)).toEqual(ids(all));
  });

  it('keeps shipping from memory on a disk remounted read-only, acks into memory, and catches up when it is writable again', async () => {
    const spool = await h.open(dir);
    const before = events(20);
    for (const e of before) await spool.append([e]);
    expect(segmentFiles(dir).length).toBeGreaterThan(2);
    await fs.remount('ro');

    const during = events(60);
    for (const e of during.slice(0, 20)) await spool.append([e]);
    await Promise.all(during.slice(20).map((e) => spool.append([e])));
    expect(spool.health()).toMatchObject({ writable: false, memoryEvents: 60, lostEvents: 0, lastError: expect.stringMatching(/^EROFS/) });
    expect(ids((await spool.peek(100)).events)).toEqual(ids([...before, ...during]));
    expect(said(h.lines)).toEqual([`spool ${dir}: cannot write (EROFS: read-only file system): holding events in memory`]);

    // The reporter goes on: a batch from disk and memory, acked (in memory: the disk is read-only).
    const batch = await spool.peek(30);
    expect(ids(batch.events)).toEqual(ids([...before, ...during.slice(0, 10)]));
    await spool.ack(batch.cursor);
    expect(spool.depth()).toBe(50);
    expect(spool.health().memoryEvents).toBe(50);
    expect(ids((await spool.peek(100)).events)).toEqual(ids(during.slice(10)));
    await h.pass(spool, 20_000);
    expect(said(h.lines)).toHaveLength(1);

    await fs.remount('rw');
    await h.pass(spool, 5_000);
    expect(spool.health()).toMatchObject({ writable: true, memoryEvents: 0, lostEvents: 0 });
    expect(said(h.lines)[1]).toBe(`spool ${dir}: writable again: wrote 50 held events to disk`);
    await spool.close();

    // The ack was recorded and the delivered segments deleted once the disk took writes again.
    const reopened = await h.open(dir);
    expect(ids((await reopened.peek(100)).events)).toEqual(ids(during.slice(10)));
    const onDisk = segmentFiles(dir).map((f) => readFileSync(path.join(dir, f), 'utf8')).join('');
    expect(onDisk).not.toContain(before[0]!.id);
    expect(onDisk).toContain(during.at(-1)!.id);
  });

  it('refuses to open on a read-only or full disk with one line naming the directory and the cause', async () => {
    mkdirSync(dir);
    await fs.remount('ro');
    await expect(Spool.open(dir, { maxBytes: 1 << 20, log: capturedLog().log })).rejects.toMatchObject({
      code: 'PROBE_ERR_SPOOL_UNUSABLE',
      message: `spool directory ${dir} is not usable: EROFS: read-only file system, open '${path.join(dir, LOCK_FILE)}'`,
    });
    await expect(Spool.open(path.join(fs.dir, 'new'), { maxBytes: 1 << 20, log: capturedLog().log })).rejects.toMatchObject({
      message: `spool directory ${path.join(fs.dir, 'new')} is not usable: EROFS: read-only file system, mkdir '${path.join(fs.dir, 'new')}'`,
    });
    await fs.remount('rw');
    fs.fill();
    await expect(Spool.open(dir, { maxBytes: 1 << 20, log: capturedLog().log })).rejects.toMatchObject({
      code: 'PROBE_ERR_SPOOL_UNUSABLE',
      message: `spool directory ${dir} is not usable: ENOSPC: no space left on device, write`,
    });
  });
});

describe('spool whose directory is removed mid-run', () => {
  let root: string;
  let dir: string;
  const h = harness();

  beforeEach(() => {
    h.reset();
    root = mkdtempSync(path.join(tmpdir(), 'dropscope-spool-removed-'));
    dir = path.join(root, 'spool');
  });
  afterEach(async () => {
    await h.closeAll();
    rmSync(root, { recursive: true, force: true });
  });

  /** Append `n` events, ack the first `acked`; returns them and the ids in the active (last) segment. */
  async function running(n: number, acked: number) {
    const spool = await h.open(dir);
    const all = events(n);
    for (const e of all) await spool.append([e]);
    if (acked > 0) await spool.ack((await spool.peek(acked)).cursor);
    const last = segmentFiles(dir).at(-1)!;
    const active = readFileSync(path.join(dir, last), 'utf8').split('\n').filter(Boolean).map((l) => JSON.parse(l).id as string);
    expect(segmentFiles(dir).length).toBeGreaterThan(2);
    return { spool, all, active };
  }

  it('recreates the directory and its lock at the next append, keeping the open segment and counting the rest lost', async () => {
    const { spool, all, active } = await running(30, 2);
    rmSync(dir, { recursive: true, force: true });

    const later = events(5);
    await Promise.all(later.map((e) => spool.append([e])));
    const lost = 30 - 2 - active.length;
    expect(spool.health()).toMatchObject({ writable: true, memoryEvents: 0, lostEvents: lost, lastError: expect.stringMatching(/^ENOENT/) });
    expect(readFileSync(path.join(dir, LOCK_FILE), 'utf8')).toBe(String(process.pid));
    expect(ids((await spool.peek(100)).events)).toEqual([...active, ...ids(later)]);
    expect(all.slice(-active.length).map((e) => e.id)).toEqual(active);
    expect(said(h.lines)).toEqual([
      `spool directory ${dir} was removed while in use: recreated it and its lock; ${active.length} unsent events kept from the open segment, ${lost} lost with the removed segments`,
    ]);
    await spool.close();

    const reopened = await h.open(dir);
    expect(ids((await reopened.peek(100)).events)).toEqual([...active, ...ids(later)]);
  });

  it('notices the removal at a peek when nothing is appended', async () => {
    const { spool, active } = await running(30, 0);
    rmSync(dir, { recursive: true, force: true });
    expect(ids((await spool.peek(100)).events)).toEqual(active);
    expect(spool.health()).toMatchObject({ writable: true, lostEvents: 30 - active.length });
    expect(said(h.lines)).toHaveLength(1);
  });

  it('holds events in memory while the directory cannot be recreated, and recreates it on a retry', async () => {
    const { spool, active } = await running(30, 0);
    rmSync(dir, { recursive: true, force: true });
    writeFileSync(dir, 'a file where the spool directory was');

    const later = events(100);
    for (const e of later) await spool.append([e]);
    const lost = 30 - active.length;
    expect(spool.health()).toMatchObject({ writable: false, memoryEvents: active.length + 100, lostEvents: lost, lastError: expect.stringMatching(/^EEXIST/) });
    expect(said(h.lines)).toEqual([
      `spool directory ${dir} was removed while in use and cannot be recreated (EEXIST: file already exists): holding events in memory; ${active.length} unsent events kept from the open segment, ${lost} lost with the removed segments`,
    ]);
    await h.pass(spool, 30_000);
    expect(said(h.lines)).toHaveLength(1);

    rmSync(dir);
    await h.pass(spool, 5_000);
    expect(spool.health()).toMatchObject({ writable: true, memoryEvents: 0, lostEvents: lost });
    // The removed segments were counted in the removal line; nothing more was lost meanwhile.
    expect(said(h.lines)[1]).toBe(`spool ${dir}: writable again: wrote ${active.length + 100} held events to disk`);
    expect(ids((await spool.peek(1000)).events)).toEqual([...active, ...ids(later)]);
    await spool.close();
    const reopened = await h.open(dir);
    expect(ids((await reopened.peek(1000)).events)).toEqual([...active, ...ids(later)]);
  });
});
