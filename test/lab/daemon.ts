/**
 * Real proxy daemons for the lab suite: each one is started by the test as a foreground
 * child process with a generated config in a temp dir of its own, listening on a free
 * loopback port, and stopped by its PID. Nothing here touches the system services that
 * the Debian packages install (they are never started or stopped by the tests).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { chmod, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export interface Daemon {
  name: string;
  pid: number;
  port: number;
  dir: string;
  /** What the daemon printed so far (stdout and stderr, bounded). */
  output(): string;
  /** SIGTERM by PID, SIGKILL if it is still there after `graceMs`; then the temp dir goes. */
  stop(): Promise<void>;
}

export { freePort } from '../helpers/ports';

/**
 * A temp dir for one daemon's config, logs and pid file. World-writable because some
 * daemons (squid, tinyproxy) drop root for an unprivileged user before writing their logs.
 */
export async function labDir(name: string): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), `dropscope-lab-${name}-`));
  await chmod(dir, 0o777);
  return dir;
}

export async function writeConfig(dir: string, file: string, text: string): Promise<string> {
  const path = join(dir, file);
  await writeFile(path, text);
  await chmod(path, 0o644);
  return path;
}

/** Resolve once something accepts TCP on 127.0.0.1:`port`; reject after `timeoutMs`. */
export async function waitForPort(port: number, timeoutMs: number, alive: () => boolean = () => true): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const ok = await new Promise<boolean>((resolve) => {
      const s = connect(port, '127.0.0.1');
      s.once('connect', () => {
        s.destroy();
        resolve(true);
      });
      s.once('error', () => resolve(false));
    });
    if (ok) return;
    if (!alive()) throw new Error(`exited before listening on ${port}`);
    if (Date.now() > deadline) throw new Error(`not listening on ${port} after ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

// Children still running when the worker exits (a crashed or timed-out hook) are killed by
// PID, so a failed run leaves no daemon behind on the machine.
const running = new Map<number, ChildProcess>();
process.once('exit', () => {
  for (const pid of running.keys()) {
    try {
      process.kill(pid, 'SIGKILL');
    } catch {
      // Already gone.
    }
  }
});

export interface StartOptions {
  name: string;
  command: string;
  args: string[];
  port: number;
  dir: string;
  readyTimeoutMs?: number;
  graceMs?: number;
}

/** Spawn a daemon in the foreground and wait until its port accepts connections. */
export async function startDaemon(options: StartOptions): Promise<Daemon> {
  const { name, command, args, port, dir } = options;
  const child = spawn(command, args, { cwd: dir, stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  const keep = (chunk: Buffer) => {
    output = (output + chunk.toString('utf8')).slice(-16_384);
  };
  child.stdout!.on('data', keep);
  child.stderr!.on('data', keep);
  let exited = false;
  const exit = new Promise<void>((resolve) => {
    child.once('exit', () => {
      exited = true;
      if (child.pid) running.delete(child.pid);
      resolve();
    });
  });
  const spawned = await new Promise<boolean>((resolve) => {
    child.once('spawn', () => resolve(true));
    child.once('error', (err) => {
      keep(Buffer.from(String(err)));
      resolve(false);
    });
  });
  if (!spawned || !child.pid) {
    await rm(dir, { recursive: true, force: true });
    throw new Error(`${name}: could not start ${command}: ${output}`);
  }
  const pid = child.pid;
  running.set(pid, child);

  const stop = async () => {
    if (!exited) {
      try {
        process.kill(pid, 'SIGTERM');
      } catch {
        // Already gone.
      }
      const killer = setTimeout(() => {
        try {
          process.kill(pid, 'SIGKILL');
        } catch {
          // Already gone.
        }
      }, options.graceMs ?? 3000);
      await exit;
      clearTimeout(killer);
    }
    await rm(dir, { recursive: true, force: true });
  };

  try {
    await waitForPort(port, options.readyTimeoutMs ?? 10_000, () => !exited);
  } catch (err) {
    await stop();
    throw new Error(`${name}: ${(err as Error).message}\n${output}`);
  }
  return { name, pid, port, dir, output: () => output, stop };
}
