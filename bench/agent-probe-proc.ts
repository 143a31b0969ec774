/**
 * Child of bench/agent.ts: one probe holding N canaries with the agent's real runner
 * (agent/runner.ts), every event appended to the real durable spool (agent/spool.ts) as
 * agent/probe.ts does, minus the reporter (nothing ships, so nothing is acked). Half the
 * canaries are idle, half ping every second.
 *
 *   node --expose-gc agent-probe-proc.cjs <ws://target/canary> <N> <spool dir>
 */
import { createLogger } from '../lib/log';
import { BUILTIN_PROFILES, toProxyConfig, type PlannedCanary, type ProfileConfig } from '../agent/config';
import { startRunner, type Runner } from '../agent/runner';
import { Spool } from '../agent/spool';
import { serve, tell } from './child-ipc';
import { spoolEmitter } from './agent-spool-emit';

const [url, countArg, spoolDir] = process.argv.slice(2);
const N = Number(countArg);
if (!url || !spoolDir || !Number.isInteger(N) || N < 1) throw new TypeError('usage: agent-probe-proc <ws url> <canaries> <spool dir>');

const IDLE = BUILTIN_PROFILES.find((p) => p.kind === 'idle')!;
const HB1S: ProfileConfig = { name: 'hb1s', kind: 'heartbeat', interval: 1000, timeout: 5000 };
// The agent's defaults (agent/config.ts): dial timeout 15 s, reconnect base 1 s, cap 60 s.
const DIAL_TIMEOUT_MS = 15_000;
const BACKOFF = { baseMs: 1000, capMs: 60_000 };

const log = createLogger({ level: 'warn', destination: process.stderr });

async function main(): Promise<void> {
  const spool = await Spool.open(spoolDir!, { maxBytes: 512 << 20, log });
  const target = { name: 'bench', url: url!, headers: {}, subprotocols: [], tls: { verify: true } };
  const proxy = toProxyConfig({ name: 'direct', url: 'direct' });
  const canaries: PlannedCanary[] = Array.from({ length: N }, (_, i) => {
    const profile = i % 2 === 0 ? IDLE : HB1S;
    return { key: `bench|direct|${profile.name}|${i}`, target, proxy, profile, profileLabel: profile.name };
  });

  const out = spoolEmitter(spool);
  const emit = out.emit;

  let runner: Runner | null = null;
  let unexpected = 0;
  serve({
    open: () => {
      runner = startRunner(canaries, {
        emit,
        clock: () => performance.now(),
        wall: () => new Date(),
        dialTimeoutMs: DIAL_TIMEOUT_MS,
        backoff: BACKOFF,
        onError: () => void (unexpected += 1),
      });
      return {};
    },
    stats: () => ({ ...(runner?.counts() ?? { open: 0, connecting: 0, backoff: 0 }), events: { ...out.events }, appendFailures: out.appendFailures, unexpected, spoolDepth: spool.depth() }),
    stop: async () => {
      await runner?.stop();
      await out.settled();
      await spool.close();
      return { events: { ...out.events }, appendFailures: out.appendFailures, unexpected, spoolDepth: spool.depth() };
    },
  });
  tell('ready');
}

main().catch((err: unknown) => {
  process.stderr.write(`agent-probe-proc: ${(err as Error).stack ?? String(err)}\n`);
  process.exit(1);
});
