/**
 * Child of bench/agent.ts, the baseline: a bare `ws` client holding N WebSockets to the
 * same target, half sending nothing, half a ping every second (one interval per socket,
 * as a canary has), dials spread over a second as the probe's first backoff spreads them.
 * No spool, no events, no timing: what holding the connections costs at the least.
 *
 * Its pings carry 8 bytes, as the probe's do (their id): the same frames on the wire. With
 * empty pings the target serving this client spent 12-20 % less CPU than the one serving
 * the probe for the same number of pings, and so, in part, did this client.
 *
 *   node --expose-gc agent-ws-proc.cjs <ws://target/canary> <N>
 */
import WebSocket from 'ws';
import { serve, tell } from './child-ipc';

const [url, countArg] = process.argv.slice(2);
const N = Number(countArg);
if (!url || !Number.isInteger(N) || N < 1) throw new TypeError('usage: agent-ws-proc <ws url> <connections>');

let open = 0;
let connecting = 0;
let closed = 0;
let errors = 0;
let pongs = 0;
const sockets = new Set<WebSocket>();
/** The probe's ping payload is its 8-byte id (agent/profiles.ts): the same size here. */
const PAYLOAD = Buffer.alloc(8);

function connect(i: number): void {
  connecting += 1;
  const ws = new WebSocket(url!, { perMessageDeflate: false });
  sockets.add(ws);
  let timer: NodeJS.Timeout | undefined;
  let opened = false;
  ws.on('open', () => {
    opened = true;
    connecting -= 1;
    open += 1;
    if (i % 2 === 1) timer = setInterval(() => ws.ping(PAYLOAD), 1000);
  });
  ws.on('pong', () => (pongs += 1));
  ws.on('error', () => (errors += 1));
  ws.on('close', () => {
    if (opened) open -= 1;
    else connecting -= 1;
    clearInterval(timer);
    sockets.delete(ws);
    closed += 1;
  });
}

serve({
  open: () => {
    for (let i = 0; i < N; i++) setTimeout(() => connect(i), Math.random() * 1000);
    return {};
  },
  stats: () => ({ open, connecting, backoff: 0, events: {}, counters: { pongs, closed, errors } }),
  stop: async () => {
    const all = [...sockets].map((ws) => new Promise<void>((resolve) => (ws.once('close', () => resolve()), ws.close(1001))));
    await Promise.race([Promise.all(all), new Promise((r) => setTimeout(r, 5000))]);
    return { open, connecting, backoff: 0, events: {}, counters: { pongs, closed, errors } };
  },
});
tell('ready');
