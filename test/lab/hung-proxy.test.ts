/**
 * A proxy that hangs: the daemon is frozen with SIGSTOP (by its PID), so the kernel still
 * completes TCP handshakes from the listen backlog but nothing ever answers the CONNECT
 * or the SOCKS greeting. The probe must give up at its dial timeout and say so, as it
 * does for every other dial phase.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Daemon } from './daemon';
import { attempt, canary, startTarget, type LabTarget, type Run } from './lab';
import { startDante, startSquid } from './proxies';

const DIAL_TIMEOUT_MS = 1000;

let target: LabTarget;
// Started before the tests, so a daemon that fails to start fails the hook, never passes
// a case below by accident. Each is frozen and stopped by its test; stop() is idempotent.
let squid: Daemon;
let dante: Daemon;

beforeAll(async () => {
  target = await startTarget();
  squid = await startSquid({ name: 'squid-hung' });
  dante = await startDante({ name: 'dante-hung' });
});

afterAll(async () => {
  await squid?.stop();
  await dante?.stop();
  await target?.close();
});

/**
 * Freeze a daemon (one per test), run one attempt through it with a short dial
 * timeout, and report how long the attempt took to come back (capped at `capMs`). Then
 * the daemon is thawed and stopped, which also winds up an attempt still pending.
 */
async function attemptThroughFrozen(daemon: Daemon, proxyUrl: string, capMs: number): Promise<{ run: Run | null; elapsedMs: number }> {
  const stop = new AbortController();
  process.kill(daemon.pid, 'SIGSTOP');
  const t0 = performance.now();
  const pending = attempt(canary(`ws://127.0.0.1:${target.port}/canary`, proxyUrl), stop.signal, DIAL_TIMEOUT_MS);
  try {
    const run = await Promise.race([pending, new Promise<null>((r) => setTimeout(() => r(null), capMs))]);
    return { run, elapsedMs: performance.now() - t0 };
  } finally {
    // A stopped process handles SIGTERM only once continued.
    process.kill(daemon.pid, 'SIGCONT');
    stop.abort();
    await daemon.stop();
    await Promise.race([pending, new Promise((r) => setTimeout(r, 5000))]);
  }
}

describe('a hung proxy (daemon frozen with SIGSTOP)', () => {
  it('squid: no CONNECT reply ends as dial_failed ETIMEDOUT at the dial timeout', async () => {
    const { run, elapsedMs } = await attemptThroughFrozen(squid, `http://127.0.0.1:${squid.port}`, 5000);
    expect(run).not.toBeNull();
    expect(run!.failed).toMatchObject({ outcome: 'dial_failed', errorCode: 'ETIMEDOUT' });
    expect(elapsedMs).toBeLessThan(DIAL_TIMEOUT_MS + 500);
    expect(run!.failed!.timings.proxyMs).toBeGreaterThan(DIAL_TIMEOUT_MS - 100);
  });

  // Found by this suite: the socks library had no abort signal, so a SOCKS server that
  // accepted TCP and never answered held the attempt for its own 60 s timeout whatever
  // dial.timeout said (measured 60,004 ms). The dial now destroys the socket at the deadline.
  it('dante: no SOCKS reply ends as dial_failed ETIMEDOUT at the dial timeout', async () => {
    const { run, elapsedMs } = await attemptThroughFrozen(dante, `socks5://127.0.0.1:${dante.port}`, 5000);
    expect(run).not.toBeNull();
    expect(run!.failed).toMatchObject({ outcome: 'dial_failed', errorCode: 'ETIMEDOUT' });
    expect(elapsedMs).toBeLessThan(DIAL_TIMEOUT_MS + 500);
  });
});
