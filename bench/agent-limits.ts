/**
 * What the machine allows before bench/agent.ts opens thousands of loopback connections:
 * file descriptors (per process and system-wide), ephemeral ports for connections to one
 * target address, and the connection-tracking table when netfilter has one. Checked
 * before anything starts, so a run that could not open every connection fails with the
 * limit's name instead of with a timeout halfway.
 */
import { existsSync, readFileSync } from 'node:fs';
import { openFileLimits } from './child-process';

export interface Limits {
  /** One line for the bench's header. */
  summary: string;
  /** Each limit that is too low, with what to raise; empty when all suffice. */
  problems: string[];
}

const readNumbers = (file: string) => readFileSync(file, 'utf8').trim().split(/\s+/).map(Number);

/** TCP sockets listening on a local port in [lo, hi]: connect() cannot pick those ports. */
function listenersInRange(lo: number, hi: number): number {
  let n = 0;
  for (const file of ['/proc/net/tcp', '/proc/net/tcp6']) {
    if (!existsSync(file)) continue;
    for (const line of readFileSync(file, 'utf8').split('\n').slice(1)) {
      const f = line.trim().split(/\s+/);
      if (f.length < 4 || f[3] !== '0A') continue;
      const port = parseInt(f[1]!.split(':').at(-1)!, 16);
      if (port >= lo && port <= hi) n += 1;
    }
  }
  return n;
}

/**
 * @param conns connections one client opens to one target address (ip:port), all at once
 * @param filesPerProcess descriptors the target and each client need (conns and spare)
 * @param processes how many such processes hold their connections at the same time
 */
export function checkLimits(conns: number, filesPerProcess: number, processes: number): Limits {
  const problems: string[] = [];
  const { soft, hard } = openFileLimits();
  if (filesPerProcess > hard) {
    problems.push(`open files: each process needs ${filesPerProcess} but the hard limit (ulimit -Hn) is ${hard}: raise it (limits.conf, or systemd LimitNOFILE) or lower BENCH_CANARIES`);
  }
  const [allocated, , fileMax] = readNumbers('/proc/sys/fs/file-nr') as [number, number, number];
  if (allocated + filesPerProcess * processes > fileMax) {
    problems.push(`open files system-wide: ${allocated} of fs.file-max ${fileMax} in use, the bench needs ${filesPerProcess * processes} more: raise fs.file-max or lower BENCH_CANARIES`);
  }

  // All of one client's connections go to the same ip:port, so each needs its own local
  // port from the ephemeral range (a port is shared only across different destinations).
  const [lo, hi] = readNumbers('/proc/sys/net/ipv4/ip_local_port_range') as [number, number];
  const listeners = listenersInRange(lo, hi);
  const ports = hi - lo + 1 - listeners;
  const headroom = 1000;
  if (ports < conns + headroom) {
    problems.push(
      `ephemeral ports: net.ipv4.ip_local_port_range ${lo}-${hi} leaves ${ports} ports (${listeners} taken by listeners), ` +
        `${conns} connections to one target need ${conns + headroom} with headroom: widen the range (sysctl -w net.ipv4.ip_local_port_range="10000 65000") or lower BENCH_CANARIES`,
    );
  }

  let conntrack = 'no conntrack table';
  const countFile = '/proc/sys/net/netfilter/nf_conntrack_count';
  const maxFile = '/proc/sys/net/netfilter/nf_conntrack_max';
  if (existsSync(countFile) && existsSync(maxFile)) {
    const [count] = readNumbers(countFile) as [number];
    const [max] = readNumbers(maxFile) as [number];
    conntrack = `conntrack ${count} of ${max}`;
    // Entries of the previous client linger (TIME_WAIT) while the next one opens.
    if (count + conns * 2 > max) problems.push(`conntrack: ${count} of nf_conntrack_max ${max} in use, the bench adds up to ${conns * 2}: raise net.netfilter.nf_conntrack_max or lower BENCH_CANARIES`);
  }

  return {
    summary: `open files: soft ${soft}, hard ${hard} (children get >= ${filesPerProcess}), system ${allocated} of ${fileMax}; ephemeral ports ${lo}-${hi} (${ports} free of listeners); ${conntrack}`,
    problems,
  };
}
