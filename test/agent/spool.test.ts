/**
 * The spool against real files in a temp directory: order, restarts, torn writes, rotation,
 * the size bound, concurrent appends (group commit) and the single-process lock. Disks that
 * fail under it: spool-disk-faults.test.ts.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync, appendFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { LOCK_FILE, Spool, SpoolError, type SpoolOptions } from '../../agent/spool';
import type { IngestEvent } from '../../lib/contracts/ingest';
import { heartbeat } from '../helpers/events';
import { capturedLog } from '../helpers/log-capture';

const ids = (events: IngestEvent[]) => events.map((e) => e.id);
const segmentFiles = (dir: string) => readdirSync(dir).filter((f) => f.startsWith('segment-')).sort();

describe('Spool', () => {
  let dir: string;
  let logged: ReturnType<typeof capturedLog>;
  const open: Spool[] = [];

  async function openSpool(options: Partial<SpoolOptions> = {}): Promise<Spool> {
    const spool = await Spool.open(dir, { maxBytes: 10 << 20, log: logged.log, ...options });
    open.push(spool);
    return spool;
  }

  beforeEach(() => {
    dir = mkdtempSync(path.join(tmpdir(), 'dropscope-spool-'));
    logged = capturedLog();
  });
  afterEach(async () => {
    await Promise.all(open.splice(0).map((s) => s.close()));
    rmSync(dir, { recursive: true, force: true });
  });

  it('peeks oldest first without removing, and acks up to the cursor', async () => {
    const spool = await openSpool();
    const events = Array.from({ length: 5 }, () => heartbeat());
    await spool.append(events.slice(0, 2));
    await spool.append(events.slice(2));
    expect(spool.depth()).toBe(5);

    const first = await spool.peek(3);
    expect(ids(first.events)).toEqual(ids(events.slice(0, 3)));
    expect(ids((await spool.peek(3)).events)).toEqual(ids(events.slice(0, 3)));
    expect(spool.depth()).toBe(5);

    await spool.ack(first.cursor);
    expect(spool.depth()).toBe(2);
    const rest = await spool.peek(10);
    expect(rest.events).toEqual(events.slice(3));
    await spool.ack(rest.cursor);
    expect(spool.depth()).toBe(0);
    expect((await spool.peek(10)).events).toEqual([]);
    // A stale cursor is a no-op, not a rewind.
    await spool.ack(first.cursor);
    expect(spool.depth()).toBe(0);
  });

  it('stops a peek at the byte budget but always returns one event', async () => {
    const spool = await openSpool();
    const events = Array.from({ length: 4 }, () => heartbeat());
    await spool.append(events);
    const lineBytes = JSON.stringify(events[0]).length + 1;
    expect((await spool.peek(10, { maxBytes: lineBytes * 2 + 1 })).events).toHaveLength(2);
    expect((await spool.peek(10, { maxBytes: 1 })).events).toHaveLength(1);
  });

  it('keeps unacked events across a restart and continues after them', async () => {
    const events = Array.from({ length: 6 }, () => heartbeat());
    const first = await openSpool();
    await first.append(events.slice(0, 4));
    await first.ack((await first.peek(2)).cursor);
    await first.close();

    const second = await openSpool();
    expect(second.depth()).toBe(2);
    await second.append(events.slice(4));
    const { events: pending } = await second.peek(100);
    expect(ids(pending)).toEqual(ids(events.slice(2)));
  });

  it('cuts a torn last line on reopen, keeping every earlier event and the next appends clean', async () => {
    const events = Array.from({ length: 3 }, () => heartbeat());
    const first = await openSpool();
    await first.append(events);
    await first.close();
    const [segment] = segmentFiles(dir);
    appendFileSync(path.join(dir, segment!), '{"type":"probe.heartbeat","id":"torn-abcdef","at":"2026-');

    const second = await openSpool();
    expect(second.depth()).toBe(3);
    const later = heartbeat();
    await second.append([later]);
    await second.close();

    const third = await openSpool();
    expect(ids((await third.peek(100)).events)).toEqual([...ids(events), later.id]);
    expect(logged.lines.some((l) => l.level === 40 && /torn last line/.test(l.msg))).toBe(true);
  });

  it('keeps a last event that only lacks its newline, and skips a corrupt line in the middle', async () => {
    const [a, b, c] = [heartbeat(), heartbeat(), heartbeat()];
    const first = await openSpool();
    await first.append([a!]);
    await first.close();
    const file = path.join(dir, segmentFiles(dir)[0]!);
    appendFileSync(file, '\u0000\u0000garbage\n' + JSON.stringify(b));

    const second = await openSpool();
    await second.append([c!]);
    expect(second.depth()).toBe(3);
    const { events, cursor } = await second.peek(100);
    expect(ids(events)).toEqual([a!.id, b!.id, c!.id]);
    await second.ack(cursor);
    expect(second.depth()).toBe(0);
    expect(logged.lines.some((l) => l.level === 50 && l.lines === 1)).toBe(true);
  });

  it('rotates segments and deletes the fully acked ones, also across a batch spanning segments', async () => {
    const spool = await openSpool({ segmentBytes: 600 });
    const events = Array.from({ length: 20 }, () => heartbeat());
    for (const e of events) await spool.append([e]);
    const before = segmentFiles(dir);
    expect(before.length).toBeGreaterThan(3);

    // Ack a batch ending inside a later segment: the segments wholly before it go.
    const part = await spool.peek(9);
    await spool.ack(part.cursor);
    const middle = segmentFiles(dir);
    expect(middle.length).toBeLessThan(before.length);
    expect(middle.at(-1)).toBe(before.at(-1));

    const rest = await spool.peek(100);
    expect(ids(rest.events)).toEqual(ids(events.slice(9)));
    await spool.ack(rest.cursor);
    // Only the active segment is left.
    expect(segmentFiles(dir)).toEqual([before.at(-1)]);
    await spool.close();

    const reopened = await openSpool({ segmentBytes: 600 });
    expect(reopened.depth()).toBe(0);
    const next = heartbeat();
    await reopened.append([next]);
    expect(ids((await reopened.peek(10)).events)).toEqual([next.id]);
  });

  it('drops the oldest segment past maxBytes, counts and logs the loss, keeps the newest events', async () => {
    const spool = await openSpool({ maxBytes: 3_000, segmentBytes: 1_000 });
    const events = Array.from({ length: 60 }, () => heartbeat());
    for (const e of events) await spool.append([e]);

    const dropped = spool.droppedEvents();
    expect(dropped).toBeGreaterThan(0);
    expect(spool.depth() + dropped).toBe(60);
    expect(spool.sizeBytes()).toBeLessThanOrEqual(3_000);
    const { events: kept } = await spool.peek(100);
    expect(ids(kept)).toEqual(ids(events.slice(dropped)));

    const errors = logged.lines.filter((l) => l.level === 50 && l.module === 'spool');
    expect(errors.length).toBeGreaterThan(0);
    expect(errors.reduce((n, l) => n + l.droppedEvents, 0)).toBe(dropped);

    await spool.close();
    const reopened = await openSpool({ maxBytes: 3_000, segmentBytes: 1_000 });
    expect(ids((await reopened.peek(100)).events)).toEqual(ids(events.slice(dropped)));
  });

  it('persists every concurrent append as whole batches', async () => {
    const spool = await openSpool({ segmentBytes: 2_000 });
    const batches = Array.from({ length: 50 }, () => [heartbeat(), heartbeat()]);
    await Promise.all(batches.map((b) => spool.append(b)));
    expect(spool.depth()).toBe(100);
    await spool.close();

    const reopened = await openSpool({ segmentBytes: 2_000 });
    const { events } = await reopened.peek(1_000);
    expect(events).toHaveLength(100);
    expect(new Set(ids(events))).toEqual(new Set(batches.flat().map((e) => e.id)));
    // Each batch's two events stay adjacent.
    for (const [a, b] of batches) expect(ids(events).indexOf(b!.id)).toBe(ids(events).indexOf(a!.id) + 1);
  });

  it('writes the appends that arrive while a write is in flight together, in order, each resolving once durable', async () => {
    const spool = await openSpool({ commitLingerMs: 0 });
    let commits = 0;
    spool.onAppend(() => commits++);
    const first = heartbeat();
    const writing = spool.append([first]);
    // Let the first commit take its batch; everything appended from here waits for the next one.
    await new Promise((resolve) => setImmediate(resolve));
    const rest = Array.from({ length: 100 }, () => heartbeat());
    const resolved: string[] = [];
    await Promise.all([writing, ...rest.map((e) => spool.append([e]).then(() => resolved.push(e.id)))]);
    expect(commits).toBe(2);
    expect(resolved).toEqual(ids(rest));
    expect(spool.health()).toEqual({ writable: true, memoryEvents: 0, memoryBytes: 0, lostEvents: 0 });
    await spool.close();

    const reopened = await openSpool();
    expect(ids((await reopened.peek(1_000)).events)).toEqual(ids([first, ...rest]));
  });

  it('lets appends linger for company: those within the linger share one commit, and close commits what lingers', async () => {
    const spool = await openSpool({ commitLingerMs: 60_000 });
    let commits = 0;
    spool.onAppend(() => commits++);
    const events = Array.from({ length: 20 }, () => heartbeat());
    const appended = events.map((e) => spool.append([e]));
    await new Promise((resolve) => setImmediate(resolve));
    expect(commits).toBe(0);
    // A minute's linger is not waited out: close() commits now.
    await spool.close();
    await Promise.all(appended);
    expect(commits).toBe(1);
    const reopened = await openSpool();
    expect(ids((await reopened.peek(1_000)).events)).toEqual(ids(events));
    await expect(Spool.open(dir, { maxBytes: 1 << 20, log: logged.log, commitLingerMs: -1 })).rejects.toThrow(RangeError);
  });

  it('refuses to open where the spool directory would be a file, in one line naming it', async () => {
    const file = path.join(dir, 'not-a-directory');
    writeFileSync(file, '');
    await expect(Spool.open(path.join(file, 'spool'), { maxBytes: 1 << 20, log: logged.log })).rejects.toMatchObject({
      code: 'PROBE_ERR_SPOOL_UNUSABLE',
      message: `spool directory ${path.join(file, 'spool')} is not usable: ENOTDIR: not a directory, mkdir '${path.join(file, 'spool')}'`,
    });
    await expect(Spool.open(dir, { maxBytes: 1 << 20, log: logged.log, memoryMaxBytes: 0 })).rejects.toThrow(RangeError);
  });

  it('refuses a second open in this process and a lock held by another live process', async () => {
    const spool = await openSpool();
    await expect(Spool.open(dir, { maxBytes: 1 << 20, log: logged.log })).rejects.toMatchObject({ code: 'PROBE_ERR_SPOOL_LOCKED', pid: process.pid });
    await spool.close();
    // Released on close.
    await (await openSpool()).close();

    writeFileSync(path.join(dir, LOCK_FILE), String(process.ppid));
    const err = await Spool.open(dir, { maxBytes: 1 << 20, log: logged.log }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(SpoolError);
    expect(err).toMatchObject({ code: 'PROBE_ERR_SPOOL_LOCKED', pid: process.ppid });
    expect((err as Error).message).toContain(String(process.ppid));
  });

  it('takes over a lock left by a dead process', async () => {
    const dead = spawnSync(process.execPath, ['-e', '']).pid;
    writeFileSync(path.join(dir, LOCK_FILE), String(dead));
    const spool = await openSpool();
    expect(readFileSync(path.join(dir, LOCK_FILE), 'utf8')).toBe(String(process.pid));
    await spool.close();
    expect(readdirSync(dir)).not.toContain(LOCK_FILE);
  });

  it('refuses cursors of another instance and operations after close', async () => {
    const spool = await openSpool();
    await spool.append([heartbeat()]);
    const { cursor } = await spool.peek(1);
    await spool.close();
    const reopened = await openSpool();
    expect(() => reopened.ack(cursor)).toThrow(RangeError);
    await expect(spool.append([heartbeat()])).rejects.toMatchObject({ code: 'PROBE_ERR_SPOOL_CLOSED' });
    expect(() => reopened.peek(0)).toThrow(RangeError);
  });
});
