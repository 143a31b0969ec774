/**
 * runner.apply(): a new plan restarts only the units it changes. Real canaries against a real
 * `ws` server on 127.0.0.1, port 0; every wait is a bounded poll naming what it waited for.
 */
import type { Socket } from 'node:net';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { WebSocketServer } from 'ws';
import { BUILTIN_PROFILES, toProxyConfig, type PlannedCanary, type TargetConfig } from '../../agent/config';
import { SESSION_HEADER } from '../../agent/canary';
import { startRunner, type Runner } from '../../agent/runner';
import type { IngestEvent, SessionEnded, SessionOpened } from '../../lib/contracts/ingest';

async function until(cond: () => boolean, what: string): Promise<void> {
  // A deadline in time, not in polls, generous for a loaded machine: dials and sockets are real.
  const deadline = Date.now() + 20_000;
  while (!cond()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 5));
  }
}

const idle = BUILTIN_PROFILES.find((p) => p.name === 'idle')!;
const direct = toProxyConfig({ name: 'direct', url: 'direct' });

function canaries(target: TargetConfig, profileLabel: string, count: number): PlannedCanary[] {
  return Array.from({ length: count }, (_, n) => ({ key: `${target.name}|direct|${profileLabel}|${n}`, target, proxy: direct, profile: { ...idle, name: profileLabel }, profileLabel }));
}

describe('runner.apply', () => {
  let wss: WebSocketServer;
  let url: string;
  /** Connections the server accepted, by session id. */
  let accepted: Map<string, Socket>;
  let events: IngestEvent[];
  let runner: Runner | undefined;

  beforeEach(async () => {
    accepted = new Map();
    events = [];
    wss = new WebSocketServer({ host: '127.0.0.1', port: 0 });
    wss.on('connection', (_ws, req) => accepted.set(String(req.headers[SESSION_HEADER]), req.socket));
    await new Promise((r) => wss.once('listening', r));
    url = `ws://127.0.0.1:${(wss.address() as { port: number }).port}/`;
  });
  afterEach(async () => {
    await runner?.stop();
    runner = undefined;
    for (const c of wss.clients) c.terminate();
    await new Promise<void>((r) => wss.close(() => r()));
  });

  const start = (plan: PlannedCanary[]) =>
    (runner = startRunner(plan, { emit: (e) => events.push(e), clock: () => performance.now(), wall: () => new Date(), dialTimeoutMs: 30_000, backoff: { baseMs: 1, capMs: 20 }, random: () => 0 }));
  const opened = () => events.filter((e): e is SessionOpened => e.type === 'session.opened');
  const ended = () => events.filter((e): e is SessionEnded => e.type === 'session.ended');
  const openIds = () => {
    const gone = new Set(ended().map((e) => e.sessionId));
    return opened().filter((e) => !gone.has(e.sessionId)).map((e) => `${e.path.target.name}|${e.path.profile}:${e.sessionId}`).sort();
  };

  it('keeps an unchanged unit open, ends a removed one as probe_closed with its reason, starts a new one', async () => {
    const a: TargetConfig = { name: 'a', url, headers: {}, subprotocols: [], tls: { verify: true } };
    const b: TargetConfig = { ...a, name: 'b' };
    const r = start([...canaries(a, 'idle', 2), ...canaries(b, 'idle', 1)]);
    await until(() => r.counts().open === 3, 'three canaries open');
    const keptA = openIds().filter((id) => id.startsWith('a|'));
    const removedB = opened().find((e) => e.path.target.name === 'b')!.sessionId;
    const connections = accepted.size;

    const c: TargetConfig = { ...a, name: 'c' };
    const result = await r.apply([...canaries(a, 'idle', 2), ...canaries(c, 'idle', 1)]);
    expect(result).toEqual({ kept: 2, started: 1, stopped: 1 });
    // Resolved once b's canary has ended, as the probe closing it on purpose, with the reason.
    const bEnd = ended().find((e) => e.sessionId === removedB)!;
    expect(bEnd).toMatchObject({ endKind: 'probe_closed', closeReason: 'path removed from the plan', closeCode: 1001 });

    await until(() => r.counts().open === 3, 'c open too');
    expect(openIds().filter((id) => id.startsWith('a|'))).toEqual(keptA);
    // One new connection (c's), none for a.
    expect(accepted.size).toBe(connections + 1);
    expect(ended().map((e) => e.sessionId)).toEqual([removedB]);
    expect(Object.fromEntries(r.countsByUnit())).toEqual({ 'a|direct|idle': { open: 2, connecting: 0, backoff: 0 }, 'c|direct|idle': { open: 1, connecting: 0, backoff: 0 } });
  });

  it('adds and ends canaries when a count changes, keeping every session the plan keeps', async () => {
    const a: TargetConfig = { name: 'a', url, headers: {}, subprotocols: [], tls: { verify: true } };
    const b: TargetConfig = { ...a, name: 'b' };
    const r = start([...canaries(a, 'idle', 1), ...canaries(b, 'idle', 1)]);
    await until(() => r.counts().open === 2, 'both open');
    const [aId] = ['a'].map((t) => opened().find((e) => e.path.target.name === t)!.sessionId);
    const connections = accepted.size;

    // 1 → 3: two canaries added, a's first untouched.
    expect(await r.apply([...canaries(a, 'idle', 3), ...canaries(b, 'idle', 1)])).toEqual({ kept: 2, started: 2, stopped: 0 });
    await until(() => r.countsByUnit().get('a|direct|idle')?.open === 3, 'the added a canaries open');
    expect(accepted.size).toBe(connections + 2);
    expect(ended()).toEqual([]);
    const added = opened().filter((e) => e.path.target.name === 'a' && e.sessionId !== aId).map((e) => e.sessionId);

    // 3 → 2: the group holding the dropped canary ends; its other canary restarts; a's first stays.
    expect(await r.apply([...canaries(a, 'idle', 2), ...canaries(b, 'idle', 1)])).toEqual({ kept: 2, started: 1, stopped: 2 });
    expect(ended().map((e) => e.sessionId).sort()).toEqual([...added].sort());
    expect(ended().map((e) => e.closeReason)).toEqual(['path changed', 'path changed']);
    await until(() => r.counts().open === 3, 'a back to two');
    expect(openIds().map((id) => id.split(':')[1])).toContain(aId);
    expect(Object.fromEntries(r.countsByUnit())).toEqual({ 'a|direct|idle': { open: 2, connecting: 0, backoff: 0 }, 'b|direct|idle': { open: 1, connecting: 0, backoff: 0 } });
  });

  it('restarts only the unit whose URL changed, and counts the new canaries even while the old ones close', async () => {
    const a: TargetConfig = { name: 'a', url, headers: {}, subprotocols: [], tls: { verify: true } };
    const b: TargetConfig = { ...a, name: 'b' };
    const r = start([...canaries(a, 'idle', 1), ...canaries(b, 'idle', 1)]);
    await until(() => r.counts().open === 2, 'both open');
    const [aId, bId] = ['a', 'b'].map((t) => opened().find((e) => e.path.target.name === t)!.sessionId);
    // The server stops reading a's connection: a's close frame is never answered, so its old
    // canary stays closing (for the 2 s the probe gives a peer) while its new one opens with the same key.
    accepted.get(aId!)!.pause();

    const a2: TargetConfig = { ...a, url: `${url}?v=2` };
    const applied = r.apply([...canaries(a2, 'idle', 1), ...canaries(b, 'idle', 1)]);
    await until(() => r.countsByUnit().get('a|direct|idle')?.open === 1 && opened().filter((e) => e.path.target.name === 'a').length === 2, 'the new a canary open');
    expect(ended().map((e) => e.sessionId)).toEqual([]);
    expect(await applied).toEqual({ kept: 1, started: 1, stopped: 1 });
    expect(ended().map((e) => [e.sessionId, e.endKind, e.closeReason])).toEqual([[aId, 'probe_closed', 'path changed']]);
    // The old canary of key a|direct|idle|0 finishing did not erase the new one's state.
    expect(r.countsByUnit().get('a|direct|idle')).toEqual({ open: 1, connecting: 0, backoff: 0 });
    expect(r.counts()).toEqual({ open: 2, connecting: 0, backoff: 0 });
    expect(openIds().map((id) => id.split(':')[1])).toContain(bId);
  });

  it('an empty plan ends every unit; stop after that resolves; apply after stop is refused', async () => {
    const a: TargetConfig = { name: 'a', url, headers: {}, subprotocols: [], tls: { verify: true } };
    const r = start(canaries(a, 'idle', 2));
    await until(() => r.counts().open === 2, 'both open');
    expect(await r.apply([])).toEqual({ kept: 0, started: 0, stopped: 2 });
    expect(r.counts()).toEqual({ open: 0, connecting: 0, backoff: 0 });
    expect(r.countsByUnit().size).toBe(0);
    expect(ended().every((e) => e.closeReason === 'path removed from the plan')).toBe(true);
    await r.stop();
    await expect(r.apply(canaries(a, 'idle', 1))).rejects.toThrow(/after stop/);
  });

  it('stop() still closes with "probe stopping"', async () => {
    const a: TargetConfig = { name: 'a', url, headers: {}, subprotocols: [], tls: { verify: true } };
    const r = start(canaries(a, 'idle', 1));
    await until(() => r.counts().open === 1, 'open');
    await r.stop();
    expect(ended().map((e) => [e.endKind, e.closeReason])).toEqual([['probe_closed', 'probe stopping']]);
  });
});
