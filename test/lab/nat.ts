/**
 * Layers that track TCP segments, built inside a namespace of the test's own
 * (test/lab/netns.ts), for the experiments that tell them from the proxies that read the
 * byte stream:
 *   - a NAT that forgets idle flows, as a carrier-grade NAT does: DNAT from the namespace's
 *     address to a target on the host's end of the veth, masquerade, a short conntrack
 *     timeout for established flows, and strict tracking (`nf_conntrack_tcp_loose=0`) so
 *     that a forgotten flow's next segment is invalid and dropped without a word;
 *   - packet counters of the namespace's rules, to check that a rule really matched.
 * The sysctls are the namespace's own (each netns has its own conntrack settings and
 * ip_forward); nothing here touches the host's.
 */
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { NFT_TABLE, type Netns } from './netns';

const run = promisify(execFile);

/** `sysctl -w` inside the namespace, each `key=value` as given. */
export async function nsSysctl(ns: Netns, settings: Record<string, string | number>): Promise<void> {
  const args = Object.entries(settings).map(([k, v]) => `${k}=${v}`);
  await run('ip', ['netns', 'exec', ns.name, 'sysctl', '-q', '-w', ...args]);
}

export interface Nat {
  /** Where canaries connect: the namespace's address and this port, DNATed to the target. */
  addr: string;
  port: number;
  /** The conntrack timeout of an established flow, s. */
  establishedTimeoutS: number;
  /** Packets dropped as invalid so far (a forgotten flow's segments). */
  invalidDrops(): Promise<number>;
}

/**
 * A NAT in `ns` in front of `upstream` (an address on the host's end of the veth): a
 * connection to ns.nsAddr:`port` is DNATed to the upstream and masqueraded, so it leaves
 * the namespace by the way it came in (a hairpin) with the namespace's address as its
 * source, and the replies come back through the namespace's conntrack. An established flow
 * idle for `establishedTimeoutS` is forgotten; its next segment (not a SYN) is invalid and
 * dropped before NAT, like a NAT whose mapping expired.
 */
export async function startNat(ns: Netns, options: { port: number; upstream: { host: string; port: number }; establishedTimeoutS: number }): Promise<Nat> {
  const { port, upstream, establishedTimeoutS } = options;
  await nsSysctl(ns, {
    'net.ipv4.ip_forward': 1,
    // Loading the NAT chains below loads nf_conntrack; its sysctls then exist in the namespace.
    'net.ipv4.conf.all.send_redirects': 0,
    [`net.ipv4.conf.${ns.nsIf}.send_redirects`]: 0,
  });
  await ns.nft(`
table inet ${NFT_TABLE} {
  chain nat_invalid { type filter hook prerouting priority -150; policy accept; ct state invalid counter drop; }
  chain nat_to_target { type nat hook prerouting priority -100; policy accept; ip daddr ${ns.nsAddr} tcp dport ${port} dnat ip to ${upstream.host}:${upstream.port}; }
  chain nat_from_ns { type nat hook postrouting priority 100; policy accept; ip daddr ${upstream.host} tcp dport ${upstream.port} masquerade; }
}
`);
  await nsSysctl(ns, {
    'net.netfilter.nf_conntrack_tcp_loose': 0,
    'net.netfilter.nf_conntrack_tcp_timeout_established': establishedTimeoutS,
  });
  return { addr: ns.nsAddr, port, establishedTimeoutS, invalidDrops: () => ruleCounter(ns, 'nat_invalid') };
}

/** Packets counted by the `counter` rules of one chain of the namespace's table, summed. */
export async function ruleCounter(ns: Netns, chain: string): Promise<number> {
  const { stdout } = await run('ip', ['netns', 'exec', ns.name, 'nft', 'list', 'chain', 'inet', NFT_TABLE, chain]);
  return [...stdout.matchAll(/counter packets (\d+)/g)].reduce((n, m) => n + Number(m[1]), 0);
}
