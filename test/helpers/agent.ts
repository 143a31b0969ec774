/** The built probe (`dist/dropscope-agent.js`) as a child process of a test, and waiting on it. */
import { spawn, type ChildProcess } from 'node:child_process';
import path from 'node:path';
import { childEnv } from './server';

export const AGENT = path.resolve(__dirname, '../../dist/dropscope-agent.js');

export type AgentProcess = ChildProcess & { out(): string };

/** Start the agent on `config`; `out()` is everything it printed so far. Stop it with stopChild (server.ts). */
export function startAgent(config: string, env: Record<string, string>): AgentProcess {
  const child = spawn(process.execPath, [AGENT, '--config', config], { env: childEnv(env), stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  child.stdout!.on('data', (c: Buffer) => (out += c));
  child.stderr!.on('data', (c: Buffer) => (out += c));
  return Object.assign(child, { out: () => out });
}

/** Poll `fn` until it gives a value, for at most `ms` (bounded); errors count as "not yet". */
export async function until<T>(what: string, fn: () => Promise<T | null | undefined | false>, ms = 60_000, everyMs = 200): Promise<T> {
  const deadline = Date.now() + ms;
  for (;;) {
    const v = await fn().catch(() => null);
    if (v) return v;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, everyMs));
  }
}
