/**
 * Child of bench/agent.ts: the real canary target (createCanaryTarget + attachCanaryTarget
 * on a node http server) on 127.0.0.1, port 0, in a process of its own so that its memory
 * and CPU are not counted in the client's. Tells the parent its port; answers `stats`, and
 * `hb-start` / `hb-end`: heartbeats on time over a window, judged where the pings land
 * (bench/agent-on-time.ts), the same way for every client.
 *
 *   node agent-target-proc.cjs <heartbeat interval ms> <on-time tolerance ms>
 */
import { createServer } from 'node:http';
import { attachCanaryTarget, createCanaryTarget } from '../target/canary-target';
import { OnTimeMeter } from './agent-on-time';
import { serve, tell } from './child-ipc';

const [intervalArg, toleranceArg] = process.argv.slice(2);
const meter = new OnTimeMeter(Number(intervalArg), Number(toleranceArg));

let ended = 0;
/** Reads on the target's sockets: one per ping that arrives, so both clients are seen to send alike. */
let reads = 0;
const target = createCanaryTarget({ name: 'bench', onSessionEnded: () => (ended += 1) });
// The standalone target's answer to plain HTTP (target/cli.ts); the bench only upgrades.
const server = createServer((_req, res) => res.writeHead(426).end());
// Attached before the target's own upgrade handler: every byte a client sends after its
// upgrade request (its frames: pings, and the close frame at the end) is seen here.
server.on('upgrade', (_req, socket) => {
  const slot = meter.open();
  socket.on('data', (chunk: Buffer) => {
    reads += 1;
    meter.chunk(slot, chunk, performance.now());
  });
  socket.once('close', () => meter.close(slot));
});
attachCanaryTarget(server, target);
// A backlog above node's default 511: thousands of canaries dial within a second.
server.listen(0, '127.0.0.1', 4096, () => {
  const address = server.address();
  serve({
    stats: () => ({ open: target.openSessions(), ended, reads }),
    'hb-start': (msg) => {
      // Room for one ping a second over the window, and a few more.
      meter.start(performance.now(), Math.ceil((Number(msg.windowS) * 1000) / meter.intervalMs) + 4);
      return {};
    },
    'hb-end': async () => {
      const w1 = performance.now();
      // A ping due just before w1 may arrive up to the tolerance after it and be on time.
      await new Promise((r) => setTimeout(r, meter.toleranceMs + 50));
      return { ...meter.finish(w1) };
    },
  });
  tell('ready', { port: typeof address === 'object' && address ? address.port : 0 });
});
