/**
 * A network namespace of the test's own, joined to the host by a veth pair on a random
 * link-local /30, with an empty nftables table inside, so a test can black-hole one flow
 * without touching the host's firewall or any namespace it did not create. Needs root,
 * iproute2 and nftables (Debian package `nftables`).
 */
import { execFile, execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { randomBytes, randomInt } from 'node:crypto';
import { promisify } from 'node:util';

const run = promisify(execFile);

export interface Netns {
  name: string;
  /** The host's end of the veth pair and its address. */
  hostIf: string;
  hostAddr: string;
  /** The namespace's end and its address. */
  nsIf: string;
  nsAddr: string;
  /** Load an nftables script inside the namespace, as one transaction. */
  nft(script: string): Promise<void>;
  /** Delete the namespace (its end of the veth goes with it) and the host's end. Idempotent. */
  remove(): Promise<void>;
}

/** Table and chains every namespace starts with: empty, policy accept, rules added later. */
export const NFT_TABLE = 'dslab';

// Namespaces still there when the worker exits (a crashed or timed-out hook) are removed
// synchronously, so a failed run leaves nothing behind.
const live = new Set<string>();
process.once('exit', () => {
  for (const name of live) {
    try {
      execFileSync('ip', ['netns', 'del', name], { stdio: 'ignore' });
    } catch {
      // Already gone.
    }
  }
});

/** Why the black-hole test cannot run here, or null when it can. */
export async function netnsUnavailable(): Promise<string | null> {
  if (process.getuid?.() !== 0) return 'creating a network namespace needs root';
  for (const [tool, flag, pkg] of [['ip', '-V', 'iproute2'], ['nft', '--version', 'nftables']] as const) {
    try {
      await run(tool, [flag]);
    } catch {
      return `${tool} not found: apt-get install ${pkg}`;
    }
  }
  return null;
}

export async function createNetns(): Promise<Netns> {
  const id = randomBytes(3).toString('hex');
  const name = `dslab-${id}`;
  // Interface names are at most 15 bytes.
  const hostIf = `dsl${id}h`;
  const nsIf = `dsl${id}n`;
  const base = `169.254.${randomInt(1, 255)}`;
  const low = 4 * randomInt(0, 64);
  const hostAddr = `${base}.${low + 1}`;
  const nsAddr = `${base}.${low + 2}`;
  const inNs = (...args: string[]) => run('ip', ['netns', 'exec', name, ...args]);

  let removed = false;
  const remove = async () => {
    if (removed) return;
    removed = true;
    await run('ip', ['netns', 'del', name]).catch(() => {});
    // Deleting the namespace destroys the pair, but asynchronously; be explicit.
    await run('ip', ['link', 'del', hostIf]).catch(() => {});
    live.delete(name);
  };

  await run('ip', ['netns', 'add', name]);
  live.add(name);
  try {
    await run('ip', ['link', 'add', hostIf, 'type', 'veth', 'peer', 'name', nsIf]);
    await run('ip', ['link', 'set', nsIf, 'netns', name]);
    await run('ip', ['addr', 'add', `${hostAddr}/30`, 'dev', hostIf]);
    await run('ip', ['link', 'set', hostIf, 'up']);
    await inNs('ip', 'addr', 'add', `${nsAddr}/30`, 'dev', nsIf);
  } catch (err) {
    await remove();
    throw err;
  }
  const ns: Netns = {
    name,
    hostIf,
    hostAddr,
    nsIf,
    nsAddr,
    nft: async (script) => {
      const child = spawn('ip', ['netns', 'exec', name, 'nft', '-f', '-'], { stdio: ['pipe', 'ignore', 'pipe'] });
      let stderr = '';
      child.stderr!.on('data', (c: Buffer) => (stderr += c.toString('utf8')));
      child.stdin!.end(script);
      const code = await new Promise<number | null>((resolve) => child.once('close', resolve));
      if (code !== 0) throw new Error(`nft in ${name} exited ${code}: ${stderr}`);
    },
    remove,
  };
  try {
    await inNs('ip', 'link', 'set', nsIf, 'up');
    await inNs('ip', 'link', 'set', 'lo', 'up');
    await ns.nft(`
table inet ${NFT_TABLE} {
  chain input { type filter hook input priority 0; policy accept; }
  chain output { type filter hook output priority 0; policy accept; }
}
`);
  } catch (err) {
    await remove();
    throw err;
  }
  return ns;
}

export interface Relay {
  pid: number;
  port: number;
  /** The source port of each connection accepted so far, in order. */
  accepted: number[];
  stop(): Promise<void>;
}

/**
 * A plain TCP relay inside the namespace, listening on `ns.nsAddr:port` and forwarding
 * every connection to `upstream` (the target on the host's end of the veth). It runs as
 * `ip netns exec <ns> node -e ...`: ip execs node in place, so the spawned PID is the relay.
 * It prints each accepted connection's source port, which names the flow to black-hole.
 */
export async function startRelay(ns: Netns, port: number, upstream: { host: string; port: number }): Promise<Relay> {
  const script = `
const net = require('node:net');
const [host, port, upHost, upPort] = process.argv.slice(1);
const server = net.createServer((client) => {
  process.stdout.write('accepted ' + client.remotePort + '\\n');
  const up = net.connect(Number(upPort), upHost);
  client.pipe(up).pipe(client);
  client.on('error', () => up.destroy());
  up.on('error', () => client.destroy());
});
server.listen(Number(port), host, () => process.stdout.write('listening\\n'));
`;
  const child: ChildProcess = spawn('ip', ['netns', 'exec', ns.name, process.execPath, '-e', script, ns.nsAddr, String(port), upstream.host, String(upstream.port)], { stdio: ['ignore', 'pipe', 'pipe'] });
  const accepted: number[] = [];
  let output = '';
  let exited = false;
  const exit = new Promise<void>((resolve) => child.once('exit', () => ((exited = true), resolve())));
  const ready = new Promise<void>((resolve, reject) => {
    child.stdout!.on('data', (c: Buffer) => {
      output += c.toString('utf8');
      for (const m of output.matchAll(/accepted (\d+)\n/g)) if (!accepted.includes(Number(m[1]))) accepted.push(Number(m[1]));
      if (output.includes('listening\n')) resolve();
    });
    child.stderr!.on('data', (c: Buffer) => (output += c.toString('utf8')));
    child.once('exit', (code) => reject(new Error(`relay exited ${code} before listening: ${output}`)));
    child.once('error', reject);
  });
  // Handled by the race below; a rejection after it (the relay dying later) is not news.
  ready.catch(() => {});
  const pid = child.pid;
  if (!pid) throw new Error('relay: no pid');
  const stop = async () => {
    if (exited) return;
    try {
      process.kill(pid, 'SIGKILL');
    } catch {
      // Already gone.
    }
    await exit;
  };
  process.once('exit', () => {
    if (!exited) {
      try {
        process.kill(pid, 'SIGKILL');
      } catch {
        // Already gone.
      }
    }
  });
  try {
    await Promise.race([ready, new Promise((_, reject) => setTimeout(() => reject(new Error(`relay not listening after 5 s: ${output}`)), 5000))]);
  } catch (err) {
    await stop();
    throw err;
  }
  return { pid, port, accepted, stop };
}
