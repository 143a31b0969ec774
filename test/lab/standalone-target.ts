/**
 * The standalone canary target (target/cli.ts, what users put behind their own chain) as a
 * child process, run by node with tsx's loader: node is the spawned PID itself, so stop()
 * signals the target, not a wrapper. It reports nowhere (no --backend).
 */
import { fileURLToPath } from 'node:url';
import { freePort, labDir, startDaemon, type Daemon } from './daemon';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));

export async function startStandaloneTarget(name = 'lab-standalone'): Promise<Daemon> {
  const dir = await labDir('standalone-target');
  const port = await freePort();
  return startDaemon({
    name: 'standalone-target',
    command: process.execPath,
    args: ['--import', `${ROOT}node_modules/tsx/dist/loader.mjs`, `${ROOT}target/cli.ts`, '--port', String(port), '--host', '127.0.0.1', '--name', name],
    port,
    dir,
    readyTimeoutMs: 20_000,
  });
}
