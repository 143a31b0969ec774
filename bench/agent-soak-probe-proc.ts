/**
 * Child of bench/agent-soak.ts: one probe as agent/probe.ts builds it (the real runner,
 * every event appended to the real spool, the spool shipped by the real reporter to the
 * soak target's ingest sink, which acks it), holding ~100 canaries on reconnect-heavy
 * paths with a short dial timeout and backoff, so that sessions and attempts churn.
 *
 *   node --expose-gc agent-soak-probe-proc.cjs <plan json> <spool dir>
 *
 * The plan: { backendUrl, paths: [{ name, url, idle, heartbeat }] }, idle and heartbeat
 * being how many canaries of each profile hold that path.
 */
import { createLogger } from '../lib/log';
import { toProxyConfig, type PlannedCanary, type ProfileConfig } from '../agent/config';
import { startReporter, type Reporter } from '../agent/reporter';
import { startRunner, type Runner } from '../agent/runner';
import { Spool } from '../agent/spool';
import { serve, tell } from './child-ipc';
import { spoolEmitter } from './agent-spool-emit';

interface Plan {
  backendUrl: string;
  paths: { name: string; url: string; idle: number; heartbeat: number }[];
}

const [planArg, spoolDir] = process.argv.slice(2);
if (!planArg || !spoolDir) throw new TypeError('usage: agent-soak-probe-proc <plan json> <spool dir>');
const plan = JSON.parse(planArg) as Plan;

const IDLE: ProfileConfig = { name: 'idle', kind: 'idle' };
// A ping a second as in bench/agent.ts; a short pong deadline so that silent sessions end fast.
const HB: ProfileConfig = { name: 'hb1s', kind: 'heartbeat', interval: 1000, timeout: 2000 };
// Short, so that a black hole frees its canary fast and every failure is soon retried.
const DIAL_TIMEOUT_MS = 3000;
const BACKOFF = { baseMs: 200, capMs: 2000 };

const log = createLogger({ level: 'warn', destination: process.stderr });

async function main(): Promise<void> {
  const spool = await Spool.open(spoolDir!, { maxBytes: 512 << 20, log });
  const proxy = toProxyConfig({ name: 'direct', url: 'direct' });
  const canaries: PlannedCanary[] = plan.paths.flatMap((p) => {
    const target = { name: p.name, url: p.url, headers: {}, subprotocols: [], tls: { verify: true } };
    const profiles = [...Array<ProfileConfig>(p.idle).fill(IDLE), ...Array<ProfileConfig>(p.heartbeat).fill(HB)];
    return profiles.map((profile, i) => ({ key: `${p.name}|direct|${profile.name}|${i}`, target, proxy, profile, profileLabel: profile.name }));
  });

  /** attempt.failed by outcome and error code, session.ended by end kind: each path's signature. */
  const failed: Record<string, number> = {};
  const ended: Record<string, number> = {};
  const count = (into: Record<string, number>, key: string) => void (into[key] = (into[key] ?? 0) + 1);
  const out = spoolEmitter(spool, (event) => {
    if (event.type === 'attempt.failed') count(failed, `${event.path.target.name} ${event.errorCode}`);
    if (event.type === 'session.ended') count(ended, `${event.path.target.name} ${event.endKind}`);
  });
  const emit = out.emit;
  const events = out.events;

  let runner: Runner | null = null;
  let reporter: Reporter | null = null;
  let unexpected = 0;
  const stats = () => ({
    ...(runner?.counts() ?? { open: 0, connecting: 0, backoff: 0 }),
    events: { ...events },
    failed: { ...failed },
    ended: { ...ended },
    appendFailures: out.appendFailures,
    unexpected,
    spoolDepth: spool.depth(),
    spoolBytes: spool.sizeBytes(),
    reporter: reporter ? { ...reporter.stats(), lastSuccessAt: undefined } : null,
  });
  serve({
    open: () => {
      reporter = startReporter({ spool, backendUrl: plan.backendUrl, token: 'bench-soak-token', backoff: { baseMs: 1000, capMs: 60_000 }, log });
      runner = startRunner(canaries, {
        emit,
        clock: () => performance.now(),
        wall: () => new Date(),
        dialTimeoutMs: DIAL_TIMEOUT_MS,
        backoff: BACKOFF,
        onError: () => void (unexpected += 1),
      });
      return { canaries: canaries.length };
    },
    stats,
    stop: async () => {
      // As agent/probe.ts: endings land in the spool, a bounded flush ships them, then close.
      await runner?.stop();
      await out.settled();
      await Promise.race([reporter?.flush(), new Promise((r) => setTimeout(r, 5000).unref())]);
      await reporter?.stop();
      const final = stats();
      await spool.close();
      return final;
    },
  });
  tell('ready');
}

main().catch((err: unknown) => {
  process.stderr.write(`agent-soak-probe-proc: ${(err as Error).stack ?? String(err)}\n`);
  process.exit(1);
});
