/**
 * The adaptive ladder against a real idle timeout: a real runner (agent/runner.ts, real
 * clock) holds a bisect unit of PARALLEL canaries through nginx with proxy_read_timeout
 * N_S, starting from FROM_MS. Each round's rungs are silent for their gap and then send one
 * ping; nginx cuts those whose gap is past N (it reads the byte stream: its timer is exact,
 * proxies.ts), the others are answered. The server's replay of the emitted sessions
 * (lib/diagnosis/brackets.ts) must bracket N within max(0.5 s, 1 % of N) in at most 10
 * rungs, and its finding must say so.
 *
 * With from 2 s and 2 rungs a round: 2 s survives, 4 s survives, 8 s is cut by nginx at
 * 7.0 s (that age is the high edge), then one rung just under it and one splitting the
 * rest: 6.56 s (dialled first) and 5.28 s survive, and (6.56, 7.0) has converged at the
 * fourth rung in run order: five rungs in four rounds, about 25 s with the runner's pauses.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ProfileConfig } from '../../agent/config';
import type { SessionEnded } from '../../lib/contracts/ingest';
import { bracketFindings, bracketsOf } from '../../lib/diagnosis/brackets';
import type { Daemon } from './daemon';
import { experimentSessionsOf, secondsText, startLabRunner, unitCanaries, waitFor, type LabRunner } from './experiments';
import { row, startTarget, type LabTarget } from './lab';
import { startNginx, wsLocation } from './proxies';

const N_S = 7;
const FROM_MS = 2000;
const PARALLEL = 2;
const BISECT: ProfileConfig = { name: 'bisect', kind: 'bisect', from: FROM_MS, max: 60_000, timeout: 1000 };
/**
 * A rung cut by nginx gives the age it was cut at as the high edge (lib/diagnosis/bisect.ts
 * cutAtOf), measured from the probe's open, which comes after nginx's timer started by the
 * 101's way back through nginx: a few ms here, so the edge may sit that much under N.
 */
const OPEN_LAG_MS = 50;
/** Five rounds of at most ~8 s (a gap, its pong or nginx's cut) and the runner's pauses of 1-2 s, with room. */
const CONVERGE_WITHIN_MS = 80_000;

let target: LabTarget | undefined;
let nginx: Daemon | undefined;
let lab: LabRunner | undefined;

beforeAll(async () => {
  target = await startTarget();
  nginx = await startNginx(wsLocation('/', target.port, N_S), 'nginx-bisect');
});

afterAll(async () => {
  await lab?.stop().catch(() => {});
  await nginx?.stop().catch(() => {});
  await target?.close().catch(() => {});
});

const resolutionMs = (n: number) => Math.max(500, 0.01 * n);

describe('bisect: the adaptive ladder brackets a real idle timeout', () => {
  it(
    `brackets nginx's proxy_read_timeout ${N_S} s within max(0.5 s, 1 %) in ≤ 10 rungs, from ${FROM_MS / 1000} s, ${PARALLEL} rungs a round`,
    async () => {
      lab = startLabRunner(unitCanaries(`ws://127.0.0.1:${nginx!.port}/canary`, 'direct', BISECT, { target: 'nginx-front' }, PARALLEL));
      const startedAt = Date.now();
      const converged = await waitFor(() => bracketsOf(experimentSessionsOf(lab!.events)).find((b) => b.state === 'converged'), CONVERGE_WITHIN_MS, 200);
      const tookMs = Date.now() - startedAt;
      await lab.stop();
      expect(lab.errors).toEqual([]);

      const sessions = experimentSessionsOf(lab.events);
      for (const e of lab.events) if (e.type === 'session.ended') row(`nginx bisect rung ${(e.path.gapMs ?? 0) / 1000} s`, `proxy_read_timeout ${N_S}s`, e as SessionEnded);
      const brackets = bracketsOf(sessions);
      console.log(`LAB | bisect: ${JSON.stringify(brackets)} after ${tookMs} ms`);
      expect(converged, `converged within ${CONVERGE_WITHIN_MS} ms`).toBeDefined();
      expect(brackets).toHaveLength(1);
      const b = brackets[0]!;
      expect(b).toMatchObject({ probe: 'lab', target: 'nginx-front', proxy: 'direct', profile: 'bisect', state: 'converged', restarts: 0 });
      expect(b.lowMs!).toBeLessThanOrEqual(N_S * 1000);
      expect(b.highMs!).toBeGreaterThanOrEqual(N_S * 1000 - OPEN_LAG_MS);
      expect(b.highMs! - b.lowMs!).toBeLessThanOrEqual(resolutionMs(b.highMs!));
      expect(b.rungs).toBeLessThanOrEqual(10);

      // Every rung that concluded did what nginx's timer says: survived below N, died (nginx's
      // FIN at N) above it, give or take the open's lag. Rungs cut short by the stop are
      // probe_closed "probe stopping".
      const rungs = sessions.filter((s) => s.profileKind === 'bisect' && s.endKind !== null);
      for (const r of rungs) {
        if (r.closeReason?.startsWith('bisect:')) expect(r.gapMs!, `survived ${r.gapMs} ms`).toBeLessThan(N_S * 1000);
        else if (r.endKind !== 'probe_closed') {
          expect(r.gapMs!, `died at gap ${r.gapMs} ms`).toBeGreaterThan(N_S * 1000 - OPEN_LAG_MS);
          expect(r.endKind).toBe('tcp_fin');
          expect(Math.abs(r.durationMs! - N_S * 1000)).toBeLessThan(250);
        }
      }

      const findings = bracketFindings(brackets);
      expect(findings).toHaveLength(1);
      const f = findings[0]!;
      console.log(`LAB | bisect finding: ${f.title}`);
      const m = /idle timeout between (\S+ s) and (\S+ s) on .* \(bisected over (\d+) rungs\)/.exec(f.title);
      expect(m, f.title).not.toBeNull();
      // The edges as said (to 0.1 s), and N between them.
      expect(Math.abs(secondsText(m![1]!) - b.lowMs!)).toBeLessThanOrEqual(50);
      expect(Math.abs(secondsText(m![2]!) - b.highMs!)).toBeLessThanOrEqual(50);
      expect(secondsText(m![1]!)).toBeLessThanOrEqual(N_S * 1000);
      expect(secondsText(m![2]!)).toBeGreaterThanOrEqual(N_S * 1000 - OPEN_LAG_MS - 50);
      expect(Number(m![3])).toBe(b.rungs);
    },
    CONVERGE_WITHIN_MS + 20_000,
  );
});
