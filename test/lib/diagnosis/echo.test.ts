/** echoFindingsOf: a layer that buffers, or loses, cuts or refuses large frames. */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { echoSessions, experiment } from '../../../bench/attribution/experiment-blocks';
import { rng } from '../../../bench/attribution/rng';
import { saysZeroSeconds } from '../../../bench/attribution/score';
import { echoFindings, echoFindingsOf } from '../../../lib/diagnosis/echo';
import { FRA } from './fixtures';

fc.configureGlobal({ seed: Number(process.env.FC_SEED ?? 20261207) });

const T0 = Date.parse('2026-11-20T00:00:00Z');
const P = { probe: FRA, target: 'api', proxy: 'direct' };
const grow = { startAt: T0, intervalMs: 2000, messageBytes: 1024, growTo: 65_536 };

describe('echoFindingsOf', () => {
  it('buffering: echoes come back in bunches, held up to the layer’s delay', () => {
    const views = echoFindingsOf(echoSessions(P, 3, { startAt: T0, intervalMs: 1000, messageBytes: 64, holdMs: 2000, bunch: 3, r: rng(1) }));
    expect(views).toEqual([expect.objectContaining({ ...P, kind: 'buffering', bunches: 12, sessions: 3, heldMs: expect.closeTo(2015, -2) })]);
    const [f] = echoFindings(views);
    expect(f).toMatchObject({ kind: 'echo', cause: 'buffering' });
    expect(f!.title).toMatch(/^edge-fra-1 → direct → api holds messages back up to 2\.0 s: a layer buffers \(12 bunches\)$/);
  });

  it('not from one bunch (the probe’s own event loop may stall once), nor from a few among many echoes', () => {
    const set = { profile: 'echo', profileKind: 'echo' as const, intervalMs: 1000 };
    const stats = (bunches: number, bunchedMessages: number, returned = 60) => ({ sent: returned, returned, largestSentBytes: 64, largestReturnedBytes: 64, lastSentBytes: 64, bunches, bunchedMessages, maxHoldMs: 800 });
    const end = { endKind: 'probe_closed' as const, closeReason: 'done' };
    expect(echoFindingsOf([experiment(P, set, T0, 60_000, end, stats(1, 3))])).toEqual([]);
    expect(echoFindingsOf([experiment(P, set, T0, 60_000, end, stats(3, 6))])).toEqual([]);
    expect(echoFindingsOf([experiment(P, set, T0, 60_000, end, stats(3, 16))])).toHaveLength(1);
  });

  it.each([
    ['lost (the connection stalls)', 'lost', 'frame-lost', 2, 'edge-fra-1 → direct → api loses messages of 16 KiB (8 KiB came back)'],
    ['cut (a FIN right after it)', 'cut', 'frame-cut', 2, 'edge-fra-1 → direct → api is cut right after a 16 KiB message (8 KiB came back)'],
    ['refused with 1009', 'refused', 'frame-refused', 1, 'edge-fra-1 → direct → api refuses messages of 16 KiB with 1009 (Message Too Big); 8 KiB came back'],
  ] as const)('a 16 KiB limit, frames %s', (_label, failure, kind, needed, title) => {
    const sessions = echoSessions(P, needed, { ...grow, limitBytes: 12_000, failure, r: rng(2) });
    const views = echoFindingsOf(sessions);
    expect(views).toEqual([expect.objectContaining({ kind, failedAtBytes: 16_384, largestReturnedBytes: 8192, sessions: needed })]);
    expect(echoFindings(views)[0]).toMatchObject({ kind: 'echo', cause: kind, title });
    // One session fewer is too little, unless the layer named the reason (1009).
    if (needed > 1) expect(echoFindingsOf(sessions.slice(1))).toEqual([]);
  });

  it('not a size when a larger message came back on the path in another session, or when nothing ever came back', () => {
    const cut = echoSessions(P, 2, { ...grow, limitBytes: 12_000, failure: 'cut', r: rng(3) });
    const fine = echoSessions(P, 1, { ...grow, r: rng(4) });
    expect(echoFindingsOf([...cut, ...fine])).toEqual([]);
    const nothing = echoSessions(P, 3, { ...grow, limitBytes: 100, failure: 'cut', r: rng(5) });
    expect(echoFindingsOf(nothing)).toEqual([]);
  });

  it('for any limit and growth, a failed size is above every size that came back and at most twice the largest, and no text says "0.0 s"', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 16, max: 4096 }),
        fc.integer({ min: 2, max: 10 }),
        fc.integer({ min: 1, max: 1 << 20 }),
        fc.constantFrom('refused', 'cut', 'lost') as fc.Arbitrary<'refused' | 'cut' | 'lost'>,
        (messageBytes, doublings, limitBytes, failure) => {
          const growTo = messageBytes * 2 ** doublings;
          const views = echoFindingsOf(echoSessions(P, 3, { startAt: T0, intervalMs: 1000, messageBytes, growTo, limitBytes, failure, r: rng(limitBytes) }));
          for (const v of views) {
            expect(v.failedAtBytes!).toBeGreaterThan(limitBytes);
            expect(v.failedAtBytes!).toBeGreaterThan(v.largestReturnedBytes!);
            if (v.largestReturnedBytes! > 0) expect(v.failedAtBytes!).toBeLessThanOrEqual(2 * v.largestReturnedBytes!);
            expect(v.largestReturnedBytes!).toBeLessThanOrEqual(limitBytes);
          }
          // A limit below the growth's largest size is found whenever a smaller size came back first.
          if (limitBytes >= messageBytes && limitBytes < growTo) expect(views.map((v) => v.kind)).toEqual([`frame-${failure}`]);
          expect(saysZeroSeconds(echoFindings(views))).toBe(false);
        },
      ),
    );
  });
});
