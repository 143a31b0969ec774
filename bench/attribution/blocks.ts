/**
 * Building blocks of the synthetic scenarios: probes, targets, proxies and the paths
 * between them, how layers' timers land around their N, and batches of sessions as the
 * agent records them (agent/canary.ts, agent/profiles.ts): idle canaries cut after N of
 * silence, heartbeat canaries cut at an age, survivors the probe ended itself, ladder
 * rungs, silent deaths and random drops.
 *
 * The age a probe measures for a cut is the layer's N plus the layer's timer jitter plus
 * the probe's own event-loop lag: the one-way delay cancels out, because the layer's idle
 * clock starts when it forwards the 101 and its FIN takes the same way back.
 */
import type { SessionSample } from '../../lib/analysis/analyze';
import type { SilentGroup } from '../../lib/analysis/findings';
import type { EndKind, ProfileKind, ProxyKind } from '../../lib/contracts/ingest';
import { gauss, rng, seedOf, type Rng } from './rng';
import type { Scenario } from './scenario';

export const T0 = Date.parse('2026-11-20T00:00:00Z');
const DAY_MS = 86_400_000;

/** The agent's built-in heartbeat profile (agent/config.ts): a ping every 25 s, a pong deadline of 10 s. */
export const HEARTBEAT_INTERVAL_MS = 25_000;
export const PONG_TIMEOUT_MS = 10_000;
/** The built-in ladder's rungs, seconds of silence before its one ping. */
export const LADDER_GAPS_S = [15, 30, 45, 60, 90, 120, 300] as const;

// ---------------------------------------------------------------- where

export interface Probe {
  name: string;
  labels: Record<string, string>;
  /** The address the probe's traffic leaves from on the direct path. */
  egress: string;
}

export interface Target {
  name: string;
  /** Identifying headers of its 101 (lower-case), as the layers in front of it leave them. */
  headers: Record<string, string>;
  /** A dropscope canary target: it names itself in the 101 and records its own view of each end. */
  canary: boolean;
  /** The address the canary target sees when a reverse proxy sits in front of it. */
  peerSeen?: string;
}

export interface Proxy {
  name: string;
  kind: ProxyKind;
  egress?: string;
}

export interface Path {
  probe: Probe;
  target: Target;
  proxy: Proxy;
  rttMs: number;
}

const addressOf = (name: string, net: string) => `${net}.${(seedOf(name) % 250) + 2}`;

export function probe(name: string, labels: Record<string, string> = {}): Probe {
  return { name, labels, egress: addressOf(name, '198.51.100') };
}

/** A dropscope canary target (`canary: false`: an application's own WebSocket endpoint). */
export function target(name: string, headers: Record<string, string> = {}, options: { canary?: boolean; peerSeen?: string } = {}): Target {
  const canary = options.canary ?? true;
  return { name, headers: canary ? { ...headers, 'x-dropscope-target': name } : headers, canary, ...(options.peerSeen && { peerSeen: options.peerSeen }) };
}

export const DIRECT: Proxy = { name: 'direct', kind: 'direct' };

export function proxy(name: string, kind: ProxyKind): Proxy {
  return { name, kind, egress: addressOf(name, '203.0.113') };
}

/** A path; its round trip, unless given, is 20-140 ms, fixed by its names (a proxy adds its own hop). */
export function path(p: Probe, t: Target, x: Proxy = DIRECT, rttMs?: number): Path {
  return { probe: p, target: t, proxy: x, rttMs: rttMs ?? 20 + (seedOf(`${p.name}|${x.name}|${t.name}`) % 121) };
}

/** Every probe × target × proxy. */
export function paths(probes: readonly Probe[], targets: readonly Target[], proxies: readonly Proxy[]): Path[] {
  return probes.flatMap((p) => targets.flatMap((t) => proxies.map((x) => path(p, t, x))));
}

/** The usual fleet: two probes in two regions, a corporate squid (CONNECT) and a SOCKS5 proxy. */
export const FRA = probe('edge-fra-1', { region: 'eu' });
export const NYC = probe('edge-nyc-1', { region: 'us' });
export const SQUID = proxy('squid-corp', 'http');
export const SOCKS = proxy('socks-dc', 'socks5');

// ---------------------------------------------------------------- profiles and endings

export interface Profile {
  profile: string;
  profileKind: ProfileKind;
  gapMs: number | null;
  /** How often a heartbeat or echo canary talks (not reported: it shapes the sessions). */
  intervalMs?: number;
}

export const IDLE: Profile = { profile: 'idle', profileKind: 'idle', gapMs: null };
export const HB: Profile = { profile: 'heartbeat', profileKind: 'heartbeat', gapMs: null, intervalMs: HEARTBEAT_INTERVAL_MS };
/** A heartbeat profile with its own interval (the quick-start demo pings every 10 s). */
export const heartbeat = (intervalS: number, name = 'heartbeat'): Profile => ({ profile: name, profileKind: 'heartbeat', gapMs: null, intervalMs: intervalS * 1000 });
/** The built-in echo profile: a message every 10 s, echoed back. */
export const ECHO: Profile = { profile: 'echo', profileKind: 'echo', gapMs: null, intervalMs: 10_000 };
export const rung = (gapS: number): Profile => ({ profile: `ladder/${gapS}s`, profileKind: 'ladder', gapMs: gapS * 1000 });

export interface Ending {
  endKind: EndKind;
  /** What `ws` reports: 1006 for a FIN or a reset, the frame's code otherwise. */
  closeCode: number;
  /** How the canary target's own socket ended ('none': it never heard, a black hole). */
  atTarget: 'tcp_fin' | 'tcp_reset' | 'close_frame' | 'none';
}

/** nginx, Envoy, an L4 proxy: a FIN to both sides (test/lab/nginx.test.ts). */
export const FIN: Ending = { endKind: 'tcp_fin', closeCode: 1006, atTarget: 'tcp_fin' };
/** HAProxy: a FIN to the client, a reset to the server (test/lab/haproxy.test.ts). */
export const FIN_RST: Ending = { endKind: 'tcp_fin', closeCode: 1006, atTarget: 'tcp_reset' };
/** A NAT or firewall that resets both sides when its entry expires. */
export const RST: Ending = { endKind: 'tcp_reset', closeCode: 1006, atTarget: 'tcp_reset' };
/** A silent death: the pong deadline noticed; the canary target never heard of it. */
export const SILENT: Ending = { endKind: 'pong_timeout', closeCode: 1006, atTarget: 'none' };
export const closeFrame = (code: number, atTarget: Ending['atTarget'] = 'close_frame'): Ending => ({ endKind: 'close_frame', closeCode: code, atTarget });

// ---------------------------------------------------------------- timers

/**
 * Where a layer's cut lands, ms after the silence (or the open) began: `at` draws one,
 * [lo, hi] is the range its timer allows (what the expected N is written from).
 */
export interface Timer {
  at: (r: Rng) => number;
  lo: number;
  hi: number;
}

export const timer = {
  /** An event-loop timer (nginx, HAProxy, Envoy, Node): within ~5 ms after N. */
  precise: (nS: number): Timer => ({ at: (r) => nS * 1000 + r() * 5, lo: nS * 1000, hi: nS * 1000 + 5 }),
  /**
   * squid keeps deadlines in whole seconds and checks them once a second: a cut lands
   * between N - 1 s and N + 1 s depending on the phase (test/lab/squid.test.ts).
   */
  squid: (nS: number): Timer => ({ at: (r) => nS * 1000 + (r() - r()) * 1000, lo: nS * 1000 - 1000, hi: nS * 1000 + 1000 }),
  /** dante and other SOCKS servers on a whole-second clock: uniform over N ± 1 s. */
  wholeSecond: (nS: number): Timer => ({ at: (r) => nS * 1000 + (2 * r() - 1) * 1000, lo: nS * 1000 - 1000, hi: nS * 1000 + 1000 }),
  /** A NAT or firewall that sweeps its table every `sweepS`: N to N + sweep. */
  sweep: (nS: number, sweepS: number): Timer => ({ at: (r) => nS * 1000 + r() * sweepS * 1000, lo: nS * 1000, hi: (nS + sweepS) * 1000 }),
  /** Uniform over N ± halfMs. */
  around: (nS: number, halfMs: number): Timer => ({ at: (r) => nS * 1000 + (2 * r() - 1) * halfMs, lo: nS * 1000 - halfMs, hi: nS * 1000 + halfMs }),
};

/**
 * The expected N for a layer's timer: the range its cuts land in, widened by the probe's
 * event-loop lag (a few ms, rarely tens) and 50 ms either side so that a median read
 * from 100 ms bins is not held to sub-bin precision.
 */
export function expectN(t: Timer): [number, number] {
  return [Math.floor(t.lo - 50), Math.ceil(t.hi + 100)];
}

/**
 * The silence a heartbeat canary had at age `ageMs`: since its last ping, or since that
 * ping's pong when it came back (the agent's idle time is the shorter of the two).
 */
export function heartbeatIdleMs(ageMs: number, rttMs: number, intervalMs = HEARTBEAT_INTERVAL_MS, driftMs = 0): number {
  const k = Math.floor(ageMs / intervalMs);
  if (k === 0) return ageMs;
  // Node's setInterval runs late by a little each time, and the lateness adds up.
  const sinceSent = Math.max(0, ageMs - k * intervalMs - k * driftMs);
  return Math.round((sinceSent >= rttMs ? sinceSent - rttMs : sinceSent) * 1000) / 1000;
}

// ---------------------------------------------------------------- sessions

interface Fields {
  ageMs: number | null;
  idleMs: number | null;
  end: Ending | 'probe';
  endedAt?: number;
  closeCode?: number;
  /** The canary target kept no view (it closed the session inside the upgrade). */
  noTargetView?: boolean;
}

/** One scenario's sessions, built batch by batch with one seeded RNG. */
export class Scene {
  readonly r: Rng;
  private readonly out: SessionSample[] = [];
  /** Per silent death: quiet time before the deadline fired (SilentGroup.medianQuietMs). */
  private readonly quiet = new Map<string, number>();
  private seq = 0;

  constructor(readonly name: string, seed = seedOf(name)) {
    this.r = rng(seed);
  }

  /** The scenario: these sessions and their silent-death groups, with what it must conclude. */
  scenario(s: Omit<Scenario, 'name' | 'sessions' | 'silent'>): Scenario {
    const silent = this.silentGroups();
    return { name: this.name, ...s, sessions: this.sessions(), ...(silent.length > 0 && { silent }) };
  }

  /** The sessions, in the order they ended (as ingest stores them). */
  sessions(): SessionSample[] {
    return [...this.out].sort((a, b) => a.endedAt - b.endedAt || a.id.localeCompare(b.id));
  }

  /** Silent deaths grouped as db/queries/findings.ts `silentGroups` does, from these sessions. */
  silentGroups(): SilentGroup[] {
    const groups = new Map<string, { g: SilentGroup; quiet: number[] }>();
    for (const s of this.out) {
      if (s.endKind !== 'pong_timeout') continue;
      const k = `${s.probe}|${s.target}|${s.proxy}`;
      const cur = groups.get(k) ?? { g: { probe: s.probe, target: s.target, proxy: s.proxy, count: 0, medianQuietMs: 0, neverAnswered: 0 }, quiet: [] };
      cur.g.count += 1;
      if (s.ageMs === null) cur.g.neverAnswered = (cur.g.neverAnswered ?? 0) + 1;
      cur.quiet.push(this.quiet.get(s.id) ?? 0);
      groups.set(k, cur);
    }
    return [...groups.values()].map(({ g, quiet }) => ({ ...g, medianQuietMs: median(quiet) }));
  }

  /** A time of day for an end, or `within` [from, to) epoch ms. */
  when(within?: [number, number]): number {
    const [from, to] = within ?? [T0, T0 + DAY_MS];
    return Math.floor(from + this.r() * (to - from));
  }

  /** The probe's reading of a duration: event-loop lag of a few ms, now and then tens. */
  measured(ms: number): number {
    const lag = Math.abs(gauss(this.r)) * 2 + (this.r() < 0.03 ? this.r() * 40 : 0);
    return Math.round((ms + lag) * 1000) / 1000;
  }

  /** One session, low level. */
  add(p: Path, prof: Profile, f: Fields): SessionSample {
    const endedAt = f.endedAt ?? this.when();
    const dropped = f.end !== 'probe';
    const egress = p.proxy.egress ?? p.probe.egress;
    const headers = p.target.canary ? { ...p.target.headers, 'x-dropscope-peer': p.target.peerSeen ?? egress } : { ...p.target.headers };
    let targetView: SessionSample['targetView'] = null;
    if (p.target.canary && !f.noTargetView) {
      const atTarget = f.end === 'probe' ? 'close_frame' : f.end.atTarget;
      targetView =
        atTarget === 'none'
          ? { closeFrameReceived: false, endKind: 'error', endedAt: endedAt + 7_200_000 + Math.floor(this.r() * 600_000) }
          : { closeFrameReceived: atTarget === 'close_frame', endKind: atTarget, endedAt: endedAt + Math.round(gauss(this.r) * 3) };
    }
    const s: SessionSample = {
      id: `${this.name}-${++this.seq}`,
      probe: p.probe.name,
      labels: p.probe.labels,
      target: p.target.name,
      proxy: p.proxy.name,
      proxyKind: p.proxy.kind,
      profile: prof.profile,
      profileKind: prof.profileKind,
      gapMs: prof.gapMs,
      ageMs: f.ageMs,
      idleMs: f.idleMs,
      endKind: f.end === 'probe' ? 'probe_closed' : f.end.endKind,
      closeCode: f.closeCode ?? (f.end === 'probe' ? 1001 : f.end.closeCode),
      endedAt,
      headers,
      egress,
      targetView,
      dropped,
    };
    this.out.push(s);
    return s;
  }

  /** Canaries that send nothing, cut by a layer after `at` of silence: their age is their silence. */
  idleCut(p: Path, count: number, at: Timer, end: Ending, prof: Profile = IDLE): this {
    for (let i = 0; i < count; i++) {
      const age = this.measured(at.at(this.r));
      this.add(p, prof, { ageMs: age, idleMs: age, end });
    }
    return this;
  }

  /**
   * Talking canaries (heartbeat or echo) cut at an age: by a lifetime limit or an
   * endpoint's session limit, or by an idle timeout shorter than their interval (they are
   * silent until they first talk).
   */
  talkerCut(p: Path, count: number, at: Timer, end: Ending, prof: Profile = HB): this {
    for (let i = 0; i < count; i++) {
      const age = this.measured(at.at(this.r));
      this.add(p, prof, { ageMs: age, idleMs: heartbeatIdleMs(age, p.rttMs, prof.intervalMs, this.r() * 1.5), end });
    }
    return this;
  }

  /**
   * `drops` cuts by one layer spread evenly over `ps`, as its kind has it: idle canaries
   * always; talking canaries (`talker`, the built-in heartbeat by default) too when the
   * cut follows age or comes before their first ping, otherwise they outlive it
   * (`talkerSurvivors` per path). One session in twenty on those paths never reaches N:
   * the probe ended it first (a restart, a deploy).
   */
  layerCut(ps: readonly Path[], o: { drops: number; nS: number; at: Timer; end: Ending; kind: 'idle' | 'lifetime'; talker?: Profile; talkerSurvivors?: number }): this {
    const talker = o.talker ?? HB;
    const talkersDie = o.kind === 'lifetime' || o.nS * 1000 < (talker.intervalMs ?? HEARTBEAT_INTERVAL_MS);
    ps.forEach((p, i) => {
      const n = shareOf(o.drops, ps.length, i);
      if (n > 0) this.survive(p, Math.ceil(n / 20), IDLE, [Math.min(1000, o.at.lo / 10), o.at.lo * 0.95]);
      if (talkersDie) {
        const idle = Math.ceil(n / 2);
        this.idleCut(p, idle, o.at, o.end).talkerCut(p, n - idle, o.at, o.end, talker);
      } else {
        this.idleCut(p, n, o.at, o.end).survive(p, o.talkerSurvivors ?? 5, talker, [o.nS * 1500, Math.max(o.nS * 3000, 21_600_000)]);
      }
    });
    return this;
  }

  /** Paths nothing cuts: `perPath` survivors of each profile, old enough to have outlived every N of the scenario. */
  healthy(ps: readonly Path[], perPath = 6, profs: readonly Profile[] = [IDLE, HB], ageMs?: [number, number]): this {
    for (const p of ps) for (const prof of profs) this.survive(p, perPath, prof, ageMs);
    return this;
  }

  /**
   * Canaries that outlived every cut on their path, ended by the probe (a restart, a
   * deploy) at an age within `ageMs`.
   */
  survive(p: Path, count: number, prof: Profile, ageMs: [number, number] = [900_000, 21_600_000]): this {
    for (let i = 0; i < count; i++) {
      const age = Math.round(ageMs[0] + this.r() * (ageMs[1] - ageMs[0]));
      const idle = prof.profileKind === 'idle' ? age : Math.round(this.r() * (prof.intervalMs ?? HEARTBEAT_INTERVAL_MS));
      this.add(p, prof, { ageMs: age, idleMs: idle, end: 'probe' });
    }
    return this;
  }

  /**
   * `perRung` ladder canaries per gap. A rung whose silence the path survives gets its
   * pong and the probe closes it (1000) right then; a longer one is cut by `cut` at its
   * N, or, when the layer forgets the flow silently (`silentAfterMs`), its ping gets no
   * pong: a silent death with no byte after the 101.
   */
  ladder(p: Path, perRung: number, cut: { at: Timer; end: Ending } | { silentAfterMs: number } | null, gapsS: readonly number[] = LADDER_GAPS_S): this {
    for (const g of gapsS) {
      const prof = rung(g);
      for (let i = 0; i < perRung; i++) {
        const gapMs = g * 1000;
        if (cut && 'at' in cut) {
          // Cut before its pong is back: silent until the ping, or just after it.
          const age = cut.at.at(this.r);
          if (age < gapMs + p.rttMs) {
            const m = this.measured(age);
            this.add(p, prof, { ageMs: m, idleMs: m < gapMs ? m : Math.round((m - gapMs) * 1000) / 1000, end: cut.end });
            continue;
          }
        } else if (cut && gapMs > cut.silentAfterMs) {
          const s = this.add(p, prof, { ageMs: null, idleMs: null, end: SILENT });
          this.quiet.set(s.id, gapMs);
          continue;
        }
        const age = this.measured(gapMs + p.rttMs);
        this.add(p, prof, { ageMs: age, idleMs: Math.round(this.r() * 2000) / 1000, end: 'probe', closeCode: 1000 });
      }
    }
    return this;
  }

  /**
   * Heartbeat canaries whose path goes dark at age `darkAt` (a black hole, a firewall that
   * forgets the flow): pongs came back until then, the next ping's deadline notices. The
   * age recorded is the last byte's (the last pong's), as the agent dates a silent death.
   */
  silentHeartbeats(p: Path, count: number, darkAt: Timer, prof: Profile = HB): this {
    const interval = prof.intervalMs ?? HEARTBEAT_INTERVAL_MS;
    for (let i = 0; i < count; i++) {
      const dark = darkAt.at(this.r);
      const k = Math.floor((dark - p.rttMs) / interval);
      const lastByte = k >= 1 ? k * interval + p.rttMs : null;
      const s = this.add(p, prof, { ageMs: lastByte === null ? null : this.measured(lastByte), idleMs: null, end: SILENT });
      this.quiet.set(s.id, lastByte === null ? interval : interval - p.rttMs);
    }
    return this;
  }

  /** Canaries whose pings the endpoint never answers: dead at the first ping's deadline, no byte after the 101. */
  neverPonged(p: Path, count: number, prof: Profile = HB): this {
    for (let i = 0; i < count; i++) {
      const s = this.add(p, prof, { ageMs: null, idleMs: null, end: SILENT });
      this.quiet.set(s.id, prof.gapMs ?? prof.intervalMs ?? HEARTBEAT_INTERVAL_MS);
    }
    return this;
  }

  /**
   * Drops at random on `ps` (a flaky Wi-Fi, a deploy, a proxy restart): ages exponential
   * with mean `meanMs`, or uniform inside `window` (stragglers that happen to fall there).
   */
  random(ps: readonly Path[], count: number, ages: { meanMs: number } | { window: [number, number] }, profs: readonly Profile[] = [IDLE, HB]): this {
    for (let i = 0; i < count; i++) {
      const p = ps[Math.floor(this.r() * ps.length)]!;
      const prof = profs[Math.floor(this.r() * profs.length)]!;
      const age = 'meanMs' in ages ? -Math.log(1 - this.r()) * ages.meanMs : ages.window[0] + this.r() * (ages.window[1] - ages.window[0]);
      const end = this.r() < 0.5 ? RST : FIN;
      const m = Math.round(age * 1000) / 1000;
      this.add(p, prof, { ageMs: m, idleMs: prof.profileKind === 'idle' ? m : heartbeatIdleMs(m, p.rttMs, prof.intervalMs), end });
    }
    return this;
  }
}

/** Part `i` of `total` split into `parts` as evenly as whole numbers allow. */
export function shareOf(total: number, parts: number, i: number): number {
  return Math.floor(total / parts) + (i < total % parts ? 1 : 0);
}

function median(xs: readonly number[]): number {
  if (xs.length === 0) return 0;
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
}
