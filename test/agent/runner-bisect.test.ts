/**
 * The runner's bisect units against a fake path: a real `ws` server on 127.0.0.1 that cuts
 * a connection N ms (of the test's clock) after its last traffic, as an idle timeout does.
 * Everything timed (the runner's pauses, the pings' queue, the dial pace, the server's cut)
 * runs on one fake clock that the test moves to the next due timer only once the sockets
 * have done what that moment asks of them, so the rungs' outcomes are exact.
 */
import { createServer } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { WebSocketServer, type WebSocket } from 'ws';
import { expandPaths, profileMap, toProxyConfig, type PlannedCanary, type ProfileConfig, type TargetConfig } from '../../agent/config';
import type { Timers } from '../../agent/reporter';
import { startRunner, type Runner } from '../../agent/runner';
import { DueQueue } from '../../agent/schedule/due-queue';
import { ingestEventSchema, type IngestEvent, type SessionEnded, type SessionOpened } from '../../lib/contracts/ingest';
import { cutAtOf, nextGaps, replay, resolutionMs, rungOutcome, type Rung } from '../../lib/diagnosis/bisect';

async function until(cond: () => boolean, what: string): Promise<void> {
  // A deadline in time, not in polls, generous for a loaded machine: dials and sockets are real.
  const deadline = Date.now() + 20_000;
  while (!cond()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 2));
  }
}

/** Timers on a clock that moves only when the test says, to the next one due. */
function fakeTime() {
  let t = 0;
  let seq = 0;
  const pending = new Map<number, { at: number; fn: () => void }>();
  const timers: Timers = {
    setTimeout: (fn, ms) => {
      pending.set(++seq, { at: t + Math.max(0, ms), fn });
      return seq;
    },
    clearTimeout: (h) => void pending.delete(h as number),
  };
  const next = () => Math.min(...[...pending.values()].map((p) => p.at));
  /** Move to the next due time and run what is due then, in order. */
  const step = () => {
    const at = next();
    if (!Number.isFinite(at)) throw new Error('nothing is scheduled');
    t = at;
    for (;;) {
      const due = [...pending.entries()].filter(([, p]) => p.at <= t).sort((a, b) => a[1].at - b[1].at || a[0] - b[0])[0];
      if (!due) break;
      pending.delete(due[0]);
      due[1].fn();
    }
  };
  return { now: () => t, timers, step };
}

const BASE = Date.UTC(2026, 11, 7, 2, 0, 0);
const bisect: Extract<ProfileConfig, { kind: 'bisect' }> = { name: 'bisect', kind: 'bisect', from: 2000, max: 120_000, timeout: 1000 };

describe('a bisect unit in the runner', () => {
  const cleanups: (() => unknown)[] = [];
  let runner: Runner | undefined;
  afterEach(async () => {
    await runner?.stop();
    runner = undefined;
    for (const c of cleanups.splice(0).reverse()) await c();
  });

  /** The fake path: a ws server that cuts each connection `n()` ms after its last traffic. */
  async function start(n: () => number, count: number, options: { pausesLog?: number[]; port?: number } = {}) {
    const time = fakeTime();
    const wss = new WebSocketServer({ host: '127.0.0.1', port: options.port ?? 0, autoPong: false });
    await new Promise((r) => wss.once('listening', r));
    const port = (wss.address() as { port: number }).port;
    cleanups.push(() => new Promise((r) => wss.close(r)));
    const live = new Set<WebSocket>();
    wss.on('connection', (ws: WebSocket) => {
      live.add(ws);
      let last = time.now();
      let cut = time.timers.setTimeout(() => ws.terminate(), n());
      ws.on('ping', (data) => {
        // Traffic after the cut would have met a closed connection.
        if (time.now() - last >= n()) return ws.terminate();
        last = time.now();
        time.timers.clearTimeout(cut);
        cut = time.timers.setTimeout(() => ws.terminate(), n());
        ws.pong(data);
      });
      ws.on('close', () => {
        time.timers.clearTimeout(cut);
        live.delete(ws);
      });
    });
    cleanups.push(() => [...live].forEach((ws) => ws.terminate()));

    const events: IngestEvent[] = [];
    const openedAt = new Map<string, number>();
    const target: TargetConfig = { name: 't', url: `ws://127.0.0.1:${port}/`, headers: {}, subprotocols: [], tls: { verify: true } };
    const defs = { targets: new Map([['t', target]]), proxies: new Map([['direct', toProxyConfig({ name: 'direct', url: 'direct' })]]), profiles: profileMap([bisect]) };
    const plan = (k: number): PlannedCanary[] => expandPaths(defs, [{ targets: ['t'], proxies: ['direct'], profiles: ['bisect'], canaries: k }], 'local').canaries;
    const pauses = options.pausesLog;
    const runnerTimers: Timers = {
      setTimeout: (fn, ms) => (pauses?.push(ms), time.timers.setTimeout(fn, ms)),
      clearTimeout: time.timers.clearTimeout,
    };
    runner = startRunner(plan(count), {
      emit: (e) => {
        expect(ingestEventSchema.safeParse(e).error).toBeUndefined();
        if (e.type === 'session.opened') openedAt.set(e.sessionId, time.now());
        events.push(e);
      },
      clock: time.now,
      wall: () => new Date(BASE + time.now()),
      dialTimeoutMs: 30_000,
      backoff: { baseMs: 1000, capMs: 60_000 },
      random: () => 0.5,
      timers: runnerTimers,
      queue: new DueQueue({ now: time.now, timers: time.timers }),
    });
    const ended = () => events.filter((e): e is SessionEnded => e.type === 'session.ended');
    const opened = () => events.filter((e): e is SessionOpened => e.type === 'session.opened');
    /**
     * Nothing on the wire is waiting to happen: no dial in flight, and every rung whose ping
     * or cut is due by now has ended.
     */
    const quiet = () => {
      if (runner!.counts().connecting > 0) return false;
      const done = new Set(ended().map((e) => e.sessionId));
      return opened().every((o) => done.has(o.sessionId) || time.now() < openedAt.get(o.sessionId)! + Math.min(o.path.gapMs!, n()));
    };
    const step = async () => {
      await until(quiet, 'the wire to settle');
      time.step();
    };
    // As the probe records them: a death dated by its FIN carries the age it was cut at.
    const rungs = (): Rung[] => ended().map((e) => ({ gapMs: e.path.gapMs!, outcome: rungOutcome(e), cutAtMs: rungOutcome(e) === 'died' ? cutAtOf(e) : null }));
    /** The rounds' gaps, in order: rungs of a round dial at the same moment. */
    const rounds = () => {
      const by = new Map<string, number[]>();
      for (const e of ended()) by.set(e.attemptedAt, [...(by.get(e.attemptedAt) ?? []), e.path.gapMs!]);
      return [...by.entries()].sort(([a], [b]) => a.localeCompare(b)).map(([, gaps]) => gaps.sort((a, b) => a - b));
    };
    return { time, step, events, ended, opened, rungs, rounds, plan, port };
  }

  async function converge(t: Awaited<ReturnType<typeof start>>, n: number) {
    for (let i = 0; i < 2000; i++) {
      const b = replay(t.rungs());
      if (b.state === 'converged' && b.lowMs! < n && b.highMs! >= n) return b;
      await t.step();
    }
    throw new Error('did not converge');
  }

  /**
   * What replay + nextGaps choose, round by round, for a path that survives iff gap < n and
   * cuts the others at n (its FIN dates the cut), as a probe on this path records them.
   */
  function expectedRounds(n: number, parallel: number, count: number): number[][] {
    const rungs: Rung[] = [];
    const out: number[][] = [];
    for (let round = 0; round < count; round++) {
      const gaps = nextGaps(replay(rungs), { fromMs: bisect.from, maxMs: bisect.max }, parallel, round);
      for (const g of gaps) rungs.push({ gapMs: g, outcome: g < n ? 'survived' : 'died', cutAtMs: g > n ? n : null });
      out.push([...gaps].sort((a, b) => a - b));
    }
    return out;
  }

  /** Each round the runner ran is what replay + nextGaps chose from the rungs before it, cut ages as measured. */
  function expectChosenRounds(t: Awaited<ReturnType<typeof start>>, parallel: number) {
    const all = t.rungs();
    const rounds = t.rounds();
    let done = 0;
    rounds.forEach((gaps, round) => {
      const chosen = nextGaps(replay(all.slice(0, done)), { fromMs: bisect.from, maxMs: bisect.max }, parallel, round);
      expect(gaps).toEqual([...chosen].sort((a, b) => a - b));
      done += gaps.length;
    });
  }

  it('one rung at a time: converges on N within resolution, in the rounds replay + nextGaps choose, pausing 1-2 s between them', async () => {
    const N = 4205;
    const pauses: number[] = [];
    const t = await start(() => N, 1, { pausesLog: pauses });
    const b = await converge(t, N);
    expect(b.highMs! - b.lowMs!).toBeLessThanOrEqual(resolutionMs(b.highMs!));
    expectChosenRounds(t, 1);
    // 2 s and 4 s survive, 8 s is cut at 4.205 s (its FIN dates the cut): [4 s, 4.205 s] is
    // within the half-second resolution already.
    expect(t.rounds()).toEqual([[2000], [4000], [8000]]);
    expect(b.rungsToConverge).toBe(3);
    // The first dial spread by the backoff's base; then a pause of 1-2 s after each round.
    const roundPauses = pauses.filter((ms) => ms < 10_000);
    expect(roundPauses[0]).toBe(500);
    expect(roundPauses.slice(1).every((ms) => ms === 1500)).toBe(true);
    // Every ended rung says why; survivors with their own reason.
    for (const e of t.ended()) {
      if (e.path.gapMs! < N) expect(e).toMatchObject({ endKind: 'probe_closed', closeReason: `bisect: survived ${e.path.gapMs! / 1000}s idle` });
      else expect(e.endKind).toBe('tcp_fin');
    }
  });

  it('four rungs at a time converge in no more rounds, and the unit counts them', async () => {
    const N = 37_777;
    const one = expectedRounds(N, 1, 30);
    const t = await start(() => N, 4);
    let sawFour = false;
    for (let i = 0; i < 2000; i++) {
      const b = replay(t.rungs());
      if (b.state === 'converged' && b.lowMs! < N && b.highMs! >= N) break;
      const counts = runner!.countsByUnit().get('t|direct|bisect')!;
      expect(counts.open + counts.connecting + counts.backoff).toBe(4);
      if (counts.open === 4) sawFour = true;
      await t.step();
    }
    expect(sawFour).toBe(true);
    const rounds = t.rounds();
    expectChosenRounds(t, 4);
    expect(rounds.every((r) => r.length <= 4)).toBe(true);
    const roundsAlone = one.findIndex((_, i) => replay(one.slice(0, i + 1).flat().map((g) => ({ gapMs: g, outcome: g < N ? 'survived' : 'died', cutAtMs: g > N ? N : null }))).state === 'converged') + 1;
    // Growth runs one rung a round whatever the count, and a cut's age usually ends the
    // search in the next round: four at a time are never slower (they are faster where the
    // deaths are silent and the bracket must be halved).
    expect(rounds.length).toBeLessThanOrEqual(roundsAlone);
  });

  it('starts over when the path changes under a converged bracket, and converges on the new N', async () => {
    let N = 4205;
    const t = await start(() => N, 1);
    const first = await converge(t, N);
    expect(first.restarts).toBe(0);
    N = 9333;
    const second = await converge(t, N);
    expect(second.restarts).toBe(1);
    expect(second.highMs! - second.lowMs!).toBeLessThanOrEqual(resolutionMs(second.highMs!));
  });

  it('a plan that drops the unit closes its open rung (inconclusive) and dials no more', async () => {
    const t = await start(() => 60_000, 1);
    await until(() => t.opened().length === 0 && runner!.counts().backoff === 1, 'the first wait');
    await t.step();
    await until(() => runner!.counts().open === 1, 'the first rung open');
    const result = await runner!.apply([]);
    expect(result).toEqual({ kept: 0, started: 0, stopped: 1 });
    expect(t.ended()).toHaveLength(1);
    expect(t.ended()[0]).toMatchObject({ endKind: 'probe_closed', closeReason: 'path removed from the plan' });
    expect(rungOutcome(t.ended()[0]!)).toBe('inconclusive');
    expect(runner!.countsByUnit().size).toBe(0);
    // Whatever was still scheduled runs: no rung dials again.
    for (let i = 0; i < 5; i++) {
      try {
        t.time.step();
      } catch {
        break;
      }
    }
    await new Promise((r) => setTimeout(r, 20));
    expect(t.opened()).toHaveLength(1);
  });

  it('a count change keeps the search: the next rungs continue the bracket, two at a time', async () => {
    const N = 20_005;
    const t = await start(() => N, 1);
    // 2, 4, 8, 16 s survive, 32 s is cut at about 20 s: the search is between 16 and 20 s.
    while (replay(t.rungs()).state !== 'searching') await t.step();
    const searching = replay(t.rungs());
    expect(searching).toMatchObject({ lowMs: 16_000, shortcut: true });
    expect(searching.highMs!).toBeGreaterThanOrEqual(N);
    expect(searching.highMs!).toBeLessThan(N + 100);
    const before = t.ended().length;
    await runner!.apply(t.plan(2));
    while (t.ended().length < before + 2) await t.step();
    // The next round, two at a time, continues that bracket: one rung just under the cut, one splitting below it.
    expect(t.ended().slice(before).map((e) => e.path.gapMs!).sort((a, b) => a - b)).toEqual(nextGaps(searching, { fromMs: 2000, maxMs: 120_000 }, 2, 0).sort((a, b) => a - b));
  });

  /**
   * One bisect canary to `target` on a fake clock, recording every wait the runner asks its
   * timers for: what the backoff tests read.
   */
  function startAlone(target: TargetConfig): { time: ReturnType<typeof fakeTime>; waits: number[]; events: IngestEvent[] } {
    const time = fakeTime();
    const waits: number[] = [];
    const events: IngestEvent[] = [];
    runner = startRunner([{ key: 't|direct|bisect|0', target, proxy: toProxyConfig({ name: 'direct', url: 'direct' }), profile: bisect, profileLabel: 'bisect' }], {
      emit: (e) => events.push(e),
      clock: time.now,
      wall: () => new Date(BASE + time.now()),
      dialTimeoutMs: 30_000,
      backoff: { baseMs: 1000, capMs: 60_000 },
      random: () => 0.5,
      timers: { setTimeout: (fn, ms) => (waits.push(ms), time.timers.setTimeout(fn, ms)), clearTimeout: time.timers.clearTimeout },
      queue: new DueQueue({ now: time.now, timers: time.timers }),
    });
    return { time, waits, events };
  }

  /** Step the clock past `n` waits, then until the next one is asked for. */
  async function stepWaits(t: { time: ReturnType<typeof fakeTime>; waits: number[] }, n: number): Promise<void> {
    for (let k = 1; k <= n; k++) {
      await until(() => t.waits.length === k, `wait ${k}`);
      t.time.step();
    }
    await until(() => t.waits.length === n + 1, `wait ${n + 1}`);
  }

  it('backs off exponentially only while its rungs cannot be dialed, and pauses 1-2 s again once they can', async () => {
    // A port nobody listens on yet, on an address no other test binds.
    const s = createServer();
    await new Promise<void>((r) => s.listen(0, '127.0.0.3', r));
    const port = (s.address() as { port: number }).port;
    await new Promise((r) => s.close(r));
    const target: TargetConfig = { name: 't', url: `ws://127.0.0.3:${port}/`, headers: {}, subprotocols: [], tls: { verify: true } };
    const { waits, events, ...t } = startAlone(target);
    await stepWaits({ waits, ...t }, 5);
    // The first dial spread; then max(1.5 s, the backoff) after each round that could not dial.
    expect(waits).toEqual([500, 1500, 2000, 4000, 8000, 16_000]);
    expect(events.filter((e) => e.type === 'attempt.failed')).toHaveLength(5);
    // Every rung was the first gap again: a dial failure says nothing about the path.
    expect(new Set(events.map((e) => (e.type === 'attempt.failed' ? e.path.gapMs : null)))).toEqual(new Set([2000]));
  });

  it('backs off too while the endpoint closes every rung itself (1013): a round that concluded nothing', async () => {
    const wss = new WebSocketServer({ host: '127.0.0.1', port: 0 });
    await new Promise((r) => wss.once('listening', r));
    cleanups.push(() => new Promise((r) => wss.close(r)));
    wss.on('connection', (ws) => ws.close(1013, 'try again later'));
    const target: TargetConfig = { name: 't', url: `ws://127.0.0.1:${(wss.address() as { port: number }).port}/`, headers: {}, subprotocols: [], tls: { verify: true } };
    const { waits, events, ...t } = startAlone(target);
    await stepWaits({ waits, ...t }, 4);
    expect(waits).toEqual([500, 1500, 2000, 4000, 8000]);
    const ended = events.filter((e): e is SessionEnded => e.type === 'session.ended');
    expect(ended.map((e) => [e.endKind, e.closeCode, e.path.gapMs, rungOutcome(e)])).toEqual(Array(4).fill(['close_frame', 1013, 2000, 'inconclusive']));
  });

  it('backs off too on a path that cuts even the shortest rung at once (a target that drops every connection)', async () => {
    const wss = new WebSocketServer({ host: '127.0.0.1', port: 0 });
    await new Promise((r) => wss.once('listening', r));
    cleanups.push(() => new Promise((r) => wss.close(r)));
    wss.on('connection', (ws) => ws.terminate());
    const target: TargetConfig = { name: 't', url: `ws://127.0.0.1:${(wss.address() as { port: number }).port}/`, headers: {}, subprotocols: [], tls: { verify: true } };
    const { waits, events, ...t } = startAlone(target);
    await stepWaits({ waits, ...t }, 4);
    // 2 s dies (the shrink is still news: the usual pause), then 1 s, the shortest rung, dies
    // too: from there on every round waits max(1.5 s, the backoff), which doubles (1, 2, 4 s
    // with this jitter), as for a canary that keeps dying young.
    expect(waits).toEqual([500, 1500, 1500, 2000, 4000]);
    const ended = events.filter((e): e is SessionEnded => e.type === 'session.ended');
    expect(ended.map((e) => [e.path.gapMs, rungOutcome(e)])).toEqual([[2000, 'died'], [1000, 'died'], [1000, 'died'], [1000, 'died']]);
  });
});
