/**
 * The SIGTERM scenario of issue 19, written once for test/e2e/shutdown.test.ts (what
 * happens: exit 0, the request in flight answered, the dashboards told) and
 * test/lab/shutdown.test.ts (how long it takes: under 2 s).
 *
 * The built server with three dashboards connected over socket.io (a viewer API token, one
 * on long-polling only, two upgraded to WebSocket) and a probe's ingest request in flight:
 * its headers and half its body sent before SIGTERM, the rest after, on a keep-alive
 * connection as browsers and the probes' HTTP clients keep them (busy when the drain begins,
 * idle once answered: the old shutdown waited for Node's 5 s keep-alive timeout on it).
 */
import { Agent, request } from 'node:http';
import { io as connect, type Socket } from 'socket.io-client';
import { ended, opened } from '../helpers/events';
import { addProbeToken, runCli, startServer, type RunningServer } from '../helpers/server';

export interface ShutdownOutcome {
  exitCode: number | null;
  /** SIGTERM to the process's exit, as the test process saw it. */
  elapsedMs: number;
  /** The in-flight ingest request's answer. */
  ingest: { status: number; body: string } | { error: string };
  /** Why each dashboard's socket.io client disconnected. */
  disconnectReasons: string[];
  /** The server's output (its JSON log lines). */
  output: string;
}

const waitFor = (ms: number) => new Promise((r) => setTimeout(r, ms));

export async function runShutdownScenario(options: { env?: Record<string, string> } = {}): Promise<ShutdownOutcome> {
  const server: RunningServer = await startServer({ env: options.env });
  const sockets: Socket[] = [];
  const cleanups: (() => void)[] = [];
  try {
    const cliEnv = { DROPSCOPE_DATA_DIR: server.dataDir, ...(options.env?.DATABASE_URL ? { DATABASE_URL: options.env.DATABASE_URL } : {}) };
    const probeToken = addProbeToken('shutdown-probe', cliEnv);
    // A viewer API token, made through the admin socket as an operator would.
    const made = runCli(['token', 'add', 'dashboards', '--role', 'viewer'], cliEnv);
    const viewer = /^(dsa_\S+)$/m.exec(made.stdout)?.[1];
    if (made.status !== 0 || !viewer) throw new Error(`token add failed (${made.status}): ${made.stdout}${made.stderr}`);

    // Three dashboard tabs.
    const reasons: Promise<string>[] = [];
    for (const transports of [['polling'], ['polling', 'websocket'], ['websocket']] as const) {
      const socket = connect(server.url, { transports: [...transports], reconnectionDelay: 100, extraHeaders: { authorization: `Bearer ${viewer}` } });
      sockets.push(socket);
      reasons.push(new Promise<string>((resolve) => socket.once('disconnect', (reason) => resolve(reason))));
      await new Promise<void>((resolve, reject) => {
        socket.once('connect', () => resolve());
        socket.once('connect_error', reject);
      });
    }
    // The two that may upgrade have done so (socket.io upgrades right after connecting).
    for (let i = 0; i < 100 && sockets[1]!.io.engine.transport.name !== 'websocket'; i++) await waitFor(20);

    // A probe's batch in flight: headers and half the body now, the rest after SIGTERM.
    const body = Buffer.from(JSON.stringify({ events: [opened('s-shutdown1'), ended('s-shutdown1', 20_004)] }));
    const half = Math.floor(body.length / 2);
    let answered!: (a: ShutdownOutcome['ingest']) => void;
    const ingest = new Promise<ShutdownOutcome['ingest']>((resolve) => (answered = resolve));
    const agent = new Agent({ keepAlive: true });
    cleanups.push(() => agent.destroy());
    // `Expect: 100-continue`: node answers "100 Continue" as it hands the request to the
    // server's handler, so the test knows the request is in flight there before it signals
    // (a SIGTERM before the server has read the headers would drop the connection instead).
    const req = request(`${server.url}/api/v1/ingest`, {
      method: 'POST',
      agent,
      headers: { authorization: `Bearer ${probeToken}`, 'content-type': 'application/json', 'content-length': String(body.length), expect: '100-continue' },
    });
    const handled = new Promise<void>((resolve) => req.once('continue', () => resolve()));
    req.on('response', (res) => {
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (c: string) => (text += c));
      res.on('end', () => answered({ status: res.statusCode!, body: text }));
      res.on('error', (err) => answered({ error: err.message }));
    });
    req.on('error', (err) => answered({ error: err.message }));
    req.flushHeaders();
    await Promise.race([handled, ingest]);
    req.write(body.subarray(0, half));
    // Past the gate's token check: the handler is reading the body.
    await waitFor(300);

    const started = Date.now();
    const exited = server.stop().then((code) => ({ code, at: Date.now() }));
    await waitFor(300);
    req.end(body.subarray(half));
    const [{ code, at }, answer] = await Promise.all([exited, ingest]);
    const disconnectReasons = await Promise.race([Promise.all(reasons), waitFor(5_000).then(() => ['(not told within 5 s)'])]);
    return { exitCode: code, elapsedMs: at - started, ingest: answer, disconnectReasons, output: server.output() };
  } finally {
    for (const s of sockets) s.close();
    for (const c of cleanups) c();
    await server.dispose();
  }
}
