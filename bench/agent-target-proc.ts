/**
 * Child of bench/agent.ts: the real canary target (createCanaryTarget + attachCanaryTarget
 * on a node http server) on 127.0.0.1, port 0, in a process of its own so that its memory
 * and CPU are not counted in the client's. Tells the parent its port; answers `stats`.
 */
import { createServer } from 'node:http';
import { attachCanaryTarget, createCanaryTarget } from '../target/canary-target';
import { serve, tell } from './child-ipc';

let ended = 0;
/** Reads on the target's sockets: one per ping that arrives, so both clients are seen to send alike. */
let reads = 0;
const target = createCanaryTarget({ name: 'bench', onSessionEnded: () => (ended += 1) });
// The standalone target's answer to plain HTTP (target/cli.ts); the bench only upgrades.
const server = createServer((_req, res) => res.writeHead(426).end());
server.on('upgrade', (_req, socket) => socket.on('data', () => (reads += 1)));
attachCanaryTarget(server, target);
// A backlog above node's default 511: thousands of canaries dial within a second.
server.listen(0, '127.0.0.1', 4096, () => {
  const address = server.address();
  serve({ stats: () => ({ open: target.openSessions(), ended, reads }) });
  tell('ready', { port: typeof address === 'object' && address ? address.port : 0 });
});
