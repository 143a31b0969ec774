/**
 * What every lab file shares: the real canary target on a loopback port, a planned canary
 * through a given proxy URL, the deps runAttempt needs, and one printed table row per
 * measured ending, so the figures can be copied into the closing note.
 */
import { createServer, type Server } from 'node:http';
import { runAttempt, type AttemptResult, type CanaryDeps } from '../../agent/canary';
import { BUILTIN_PROFILES, toProxyConfig, type PlannedCanary, type ProfileConfig } from '../../agent/config';
import type { AttemptFailed, IngestEvent, SessionEnded, SessionOpened, TargetSessionEnded } from '../../lib/contracts/ingest';
import { attachCanaryTarget, createCanaryTarget } from '../../target/canary-target';

export const IDLE: ProfileConfig = BUILTIN_PROFILES.find((p) => p.kind === 'idle')!;
/** Pings every 500 ms with a 1 s pong deadline: traffic well inside every lab timeout. */
export const HEARTBEAT: ProfileConfig = { name: 'heartbeat', kind: 'heartbeat', interval: 500, timeout: 1000 };

export type TargetView = Omit<TargetSessionEnded, 'type' | 'id'>;

export interface LabTarget {
  port: number;
  views: TargetView[];
  close(): Promise<void>;
}

/**
 * The real canary target on its own HTTP server, port 0, on loopback unless `host` says
 * otherwise. It has no handler for plain requests, so a GET without an upgrade gets no
 * answer at all (the standalone target answers 426, server.ts hands it to Next).
 * `maxPayload`: the largest message it accepts (a larger one is closed with 1009), by
 * default the target's own (64 MiB).
 */
export async function startTarget(host = '127.0.0.1', options: { maxPayload?: number } = {}): Promise<LabTarget> {
  const views: TargetView[] = [];
  const target = createCanaryTarget({ name: 'lab-target', onSessionEnded: (v) => views.push(v), ...(options.maxPayload !== undefined && { maxPayload: options.maxPayload }) });
  const server: Server = createServer();
  attachCanaryTarget(server, target);
  await new Promise<void>((r) => server.listen(0, host, r));
  const a = server.address();
  return {
    port: typeof a === 'object' && a ? a.port : 0,
    views,
    close: async () => {
      await target.close();
      server.closeAllConnections();
      await new Promise((r) => server.close(r));
    },
  };
}

/** Names as the analysis sees them: the path is probe × target × proxy × profile. */
export interface CanaryNames {
  target?: string;
  proxy?: string;
}

export function canary(url: string, proxy = 'direct', profile: ProfileConfig = IDLE, names: CanaryNames = {}): PlannedCanary {
  return {
    key: 'lab',
    target: { name: names.target ?? 'lab', url, headers: {}, subprotocols: [], tls: { verify: true } },
    proxy: toProxyConfig({ name: proxy === 'direct' ? 'direct' : (names.proxy ?? 'lab-proxy'), url: proxy }),
    profile,
    profileLabel: profile.name,
  };
}

export interface Run {
  result: AttemptResult;
  events: IngestEvent[];
  opened?: SessionOpened;
  ended?: SessionEnded;
  failed?: AttemptFailed;
}

/**
 * One attempt with a fresh event list; `stop` ends it as probe_closed. `onEvent` sees each
 * event as it is emitted, with the probe's monotonic clock (performance.now) at that moment.
 */
export async function attempt(c: PlannedCanary, stop: AbortSignal = new AbortController().signal, dialTimeoutMs = 5000, onEvent?: (e: IngestEvent, at: number) => void): Promise<Run> {
  const events: IngestEvent[] = [];
  const emit = (e: IngestEvent) => {
    events.push(e);
    onEvent?.(e, performance.now());
  };
  const deps: CanaryDeps = { emit, clock: () => performance.now(), wall: () => new Date(), dialTimeoutMs, stop };
  const result = await runAttempt(c, deps);
  return {
    result,
    events,
    opened: events.find((e): e is SessionOpened => e.type === 'session.opened'),
    ended: events.find((e): e is SessionEnded => e.type === 'session.ended'),
    failed: events.find((e): e is AttemptFailed => e.type === 'attempt.failed'),
  };
}

/** Wait (bounded) for the target's own view of `sessionId`. */
export async function targetView(target: LabTarget, sessionId: string, ms = 3000): Promise<TargetView | undefined> {
  const deadline = Date.now() + ms;
  for (;;) {
    const v = target.views.find((x) => x.sessionId === sessionId);
    if (v || Date.now() > deadline) return v;
    await new Promise((r) => setTimeout(r, 20));
  }
}

/**
 * One row of the lab table: daemon, the timeout as configured, what the probe measured,
 * and what the target saw of the same ending.
 */
export function row(daemon: string, configured: string, end: SessionEnded, view?: TargetView): void {
  const cells = [daemon.padEnd(28), configured.padEnd(24), `${Math.round(end.durationMs)} ms`.padStart(8), end.endKind.padEnd(12), String(end.closeCode).padEnd(5), `${Math.round(end.sinceLastRecvMs ?? -1)} ms`.padStart(8), view ? view.endKind : '-'];
  console.log(`LAB | ${cells.join(' | ')}`);
}
