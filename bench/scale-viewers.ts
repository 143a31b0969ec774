/**
 * Simulated viewers for the scale bench (bench/scale.ts): each is one open live page as the
 * browser runs it (components/live/use-live-report.ts): a socket.io connection on
 * '/socket.io', a catch-up refetch when the server sends its watermark, and on every `live`
 * push a refetch of the page's JSON endpoint with `w=<watermark>`, through the same
 * refetcher and wall-clock-aligned throttle at the same cadence and phase (lib/realtime/refetcher.ts,
 * lib/realtime/cadence.ts). The probes page also polls every PROBES_POLL_MS.
 *
 * Websocket transport only (the browser starts with long polling and upgrades): the bench
 * measures the server's answers, not the handshake. Every request has a timeout; a viewer
 * never reconnects. Every viewer is signed in: its requests and its socket carry a session
 * cookie and the page's Origin, as a browser's do.
 */
import { io, type Socket } from 'socket.io-client';
import { queryCadenceMs, type SpanParams } from '../lib/realtime/cadence';
import { LIVE_EVENT, LIVE_WATERMARK_EVENT, WATERMARK_PARAM } from '../lib/realtime/feed';
import { livePushSchema, liveWatermarkSchema } from '../lib/realtime/feed-schema';
import { createRefetcher, type Refetcher } from '../lib/realtime/refetcher';
import { viewPhaseMs } from '../lib/realtime/view-key';
import { quantile } from './measure';

/** components/probes/live-probes.tsx. */
const PROBES_POLL_MS = 15_000;

/** A live page: its endpoint with the page's query string, where its span is, how many watch it. */
export interface LivePage {
  url: string;
  spans: SpanParams;
  pollMs?: number;
  share: number;
}

/** The dashboard's live pages, weighted as a team might keep them open (the overview most). */
export function livePages(busyPathId: string): LivePage[] {
  return [
    { url: '/api/v1/overview?window=1h', spans: { kind: 'window' }, share: 0.3 },
    { url: '/api/v1/drops?range=24h', spans: { kind: 'scope' }, share: 0.2 },
    { url: '/api/v1/paths?range=24h', spans: { kind: 'scope' }, share: 0.2 },
    { url: `/api/v1/paths/${busyPathId}?range=24h`, spans: { kind: 'scope' }, share: 0.1 },
    { url: '/api/v1/handshakes?range=24h', spans: { kind: 'scope' }, share: 0.1 },
    { url: '/api/v1/probes', spans: { kind: 'none' }, pollMs: PROBES_POLL_MS, share: 0.1 },
  ];
}

export interface ViewerStats {
  viewers: number;
  /** Distinct pushes (watermarks) received while recording. */
  pushes: number;
  requests: number;
  /** Non-200 answers, timeouts, refused connections, pushes not understood. */
  errors: string[];
  /** ms to the last byte of each refetch counted. */
  p50: number;
  p95: number;
  max: number;
  /** Per page URL: its refetches and their p95, ms (which page makes the viewers' p95). */
  perPage: Map<string, { requests: number; p95: number }>;
}

export interface Viewers {
  /** Start counting requests from now on (the catch-up refetches at connection are not). */
  record(): void;
  /** Disconnect everyone, wait for the refetches in flight, and report what was counted. */
  close(): Promise<ViewerStats>;
}

/**
 * Connect `count` viewers spread over `pages` by share, each sending `headers` (a session
 * cookie and the server's own Origin); resolves once every one has its socket up and its
 * catch-up refetch answered.
 * @throws when a viewer cannot connect or its catch-up does not come within `timeoutMs`.
 */
export async function openViewers(baseUrl: string, headers: Record<string, string>, pages: LivePage[], count: number, timeoutMs: number): Promise<Viewers> {
  const latencies: number[] = [];
  const errors: string[] = [];
  const perPage = new Map<string, number[]>();
  let recording = false;
  const pushed = new Set<string>();
  const inFlight = new Set<Promise<unknown>>();
  const sockets: Socket[] = [];
  const refetchers: Refetcher[] = [];
  const timers: ReturnType<typeof setInterval>[] = [];

  const assigned = assign(pages, count);
  const ready = assigned.map(
    (page) =>
      new Promise<void>((resolve, reject) => {
        let watermark: string | null = null;
        let caughtUp = false;
        const load = async (signal: AbortSignal) => {
          const asked = watermark ? `${page.url}${page.url.includes('?') ? '&' : '?'}${WATERMARK_PARAM}=${encodeURIComponent(watermark)}` : page.url;
          const counted = recording;
          const t = performance.now();
          const res = await fetch(baseUrl + asked, { cache: 'no-store', headers, signal: AbortSignal.any([signal, AbortSignal.timeout(timeoutMs)]) });
          const body = await res.text();
          if (counted) {
            latencies.push(performance.now() - t);
            const mine = perPage.get(page.url) ?? [];
            mine.push(performance.now() - t);
            perPage.set(page.url, mine);
          }
          if (res.status !== 200) throw new Error(`GET ${asked} answered ${res.status}: ${body.slice(0, 200)}`);
          JSON.parse(body);
        };
        const cadence = queryCadenceMs(new URLSearchParams(page.url.split('?')[1] ?? ''), page.spans, Date.now());
        const r = createRefetcher(
          {
            load: (signal) => {
              const p = load(signal);
              inFlight.add(p);
              return p.finally(() => inFlight.delete(p));
            },
            onData: () => {
              if (!caughtUp) {
                caughtUp = true;
                resolve();
              }
            },
            onError: (err) => {
              if (recording) errors.push(err.message);
              if (!caughtUp) reject(err);
            },
          },
          cadence,
          undefined,
          { aligned: true, phaseMs: viewPhaseMs(page.url, cadence) },
        );
        refetchers.push(r);
        const socket = io(baseUrl, { path: '/socket.io', transports: ['websocket'], reconnection: false, timeout: timeoutMs, extraHeaders: headers });
        sockets.push(socket);
        socket.on('connect_error', (err) => reject(new Error(`viewer of ${page.url} could not connect: ${err.message}`)));
        socket.on('disconnect', (reason) => {
          if (reason !== 'io client disconnect') errors.push(`viewer of ${page.url} disconnected: ${reason}`);
        });
        socket.on(LIVE_WATERMARK_EVENT, (payload: unknown) => {
          const hello = liveWatermarkSchema.safeParse(payload);
          if (!hello.success) return reject(new Error(`watermark not understood: ${hello.error.message}`));
          watermark = hello.data.watermark;
          r.refresh();
        });
        socket.on(LIVE_EVENT, (payload: unknown) => {
          const push = livePushSchema.safeParse(payload);
          if (!push.success) {
            errors.push(`push not understood: ${push.error.message}`);
            return;
          }
          if (recording) pushed.add(push.data.watermark);
          watermark = push.data.watermark;
          r.request();
        });
        if (page.pollMs !== undefined) timers.push(setInterval(() => r.request(), page.pollMs));
      }),
  );

  const closeAll = () => {
    for (const t of timers) clearInterval(t);
    for (const r of refetchers) r.close();
    for (const s of sockets) s.close();
  };
  let timer: ReturnType<typeof setTimeout> | undefined;
  try {
    await Promise.race([
      Promise.all(ready),
      new Promise((_, reject) => (timer = setTimeout(() => reject(new Error(`viewers not all caught up within ${timeoutMs / 1000} s`)), timeoutMs))),
    ]);
  } catch (err) {
    closeAll();
    throw err;
  } finally {
    clearTimeout(timer);
  }

  return {
    record: () => {
      recording = true;
    },
    close: async () => {
      // Let the answers in flight land (each is bounded by its timeout), then hang up.
      await Promise.allSettled([...inFlight]);
      recording = false;
      closeAll();
      latencies.sort((a, b) => a - b);
      return {
        viewers: count,
        pushes: pushed.size,
        requests: latencies.length,
        errors,
        p50: quantile(latencies, 0.5),
        p95: quantile(latencies, 0.95),
        max: latencies.at(-1) ?? NaN,
        perPage: new Map([...perPage].map(([url, ms]) => [url, { requests: ms.length, p95: quantile(ms.sort((a, b) => a - b), 0.95) }])),
      };
    },
  };
}

/** `count` pages by share, largest remainders first, every page at least one viewer when count allows. */
function assign(pages: LivePage[], count: number): LivePage[] {
  const total = pages.reduce((n, p) => n + p.share, 0);
  const exact = pages.map((p) => (p.share / total) * count);
  const whole = exact.map(Math.floor);
  const order = exact.map((x, i) => [x - Math.floor(x), i] as const).sort((a, b) => b[0] - a[0]);
  for (let k = 0; whole.reduce((a, b) => a + b, 0) < count; k++) whole[order[k % order.length]![1]]!++;
  return pages.flatMap((p, i) => Array.from({ length: whole[i]! }, () => p));
}
