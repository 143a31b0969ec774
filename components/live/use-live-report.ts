'use client';
/**
 * One dashboard report kept live. Every socket.io push (any accepted batch, on any server
 * of the database) asks for a refetch of the page's JSON endpoint with the page's own query
 * string, so a relative range moves with the clock, and the push's watermark (`w=`), so the
 * server hands every viewer of this view the one answer it computed for that watermark
 * (lib/realtime/live-answer.ts). Refetches come at most once per slot of the view's refresh
 * period, which grows with its span (lib/realtime/cadence.ts), aligned to the wall clock so
 * that viewers ask together (each view at its own phase of the period, so that different views
 * do not); they are coalesced while one is in flight, aborted on unmount
 * or when the URL changes, and every answer and push is parsed with zod before it reaches
 * state. An error stays shown until a refetch succeeds.
 */
import { useEffect, useRef, useState } from 'react';
import { io } from 'socket.io-client';
import { z } from 'zod';
import { describeIssues, fieldIssues } from '../../lib/http/problem';
import { queryCadenceMs, type SpanParams } from '../../lib/realtime/cadence';
import { LIVE_EVENT, LIVE_WATERMARK_EVENT, WATERMARK_PARAM, type LivePush, type Watermark } from '../../lib/realtime/feed';
import { livePushSchema, liveWatermarkSchema } from '../../lib/realtime/feed-schema';
import { createRefetcher, type Refetcher } from '../../lib/realtime/refetcher';
import { viewPhaseMs } from '../../lib/realtime/view-key';

/** A refresh answered 401: the page is on its way to the sign-in page, nothing to report. */
class SignedOut extends Error {}

/** The sign-in page, coming back to this one. */
function signInHere(): string {
  return `/sign-in?next=${encodeURIComponent(window.location.pathname + window.location.search)}`;
}

export type LiveStatus = 'connecting' | 'live' | 'offline';

export interface LiveReportOptions<T> {
  /** The endpoint and the page's query string, e.g. `/api/v1/paths?range=6h`. */
  url: string;
  schema: z.ZodType<T>;
  /** Where the query string holds the view's span, which sets its refresh period (cadence.ts). */
  spans: SpanParams;
  /** Also refetch on this period while the tab is visible: for answers that change with the clock alone. */
  pollMs?: number;
  /** Each understood push, before its refetch is asked for (the overview queues feed items). */
  onPush?(push: LivePush): void;
  /** A refetch starts. */
  onRefreshStart?(): void;
  /** A refetch ended with this answer, or null when it failed; called in the same tick as the report's update. */
  onRefreshed?(report: T | null): void;
}

export interface LiveReport<T> {
  report: T;
  status: LiveStatus;
  /** A refetch is in flight. */
  refreshing: boolean;
  /** Why the last refetch (or push) failed, until a refetch succeeds. */
  error: string | null;
  /** Ask for a refetch now (the error banner's button), still throttled. */
  retry(): void;
}

export function useLiveReport<T>(initial: T, options: LiveReportOptions<T>): LiveReport<T> {
  const [report, setReport] = useState(initial);
  // A new server render (navigation, router.refresh) replaces what the refetches built up.
  const [rendered, setRendered] = useState(initial);
  if (rendered !== initial) {
    setRendered(initial);
    setReport(initial);
  }
  const [status, setStatus] = useState<LiveStatus>('connecting');
  const [refreshing, setRefreshing] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const refetcher = useRef<Refetcher | null>(null);
  // The callbacks change every render; the subscription must not.
  const latest = useRef(options);
  useEffect(() => {
    latest.current = options;
  });

  const { url, pollMs } = options;
  const spanKind = options.spans.kind;
  useEffect(() => {
    /** The newest push's watermark: the answer each refetch asks for. */
    let watermark: Watermark | null = null;
    const query = new URLSearchParams(url.split('?')[1] ?? '');
    const cadence = queryCadenceMs(query, { kind: spanKind }, Date.now());
    const r = createRefetcher<T>(
      {
        load: async (signal) => {
          const asked = watermark ? `${url}${url.includes('?') ? '&' : '?'}${WATERMARK_PARAM}=${encodeURIComponent(watermark)}` : url;
          const res = await fetch(asked, { cache: 'no-store', signal });
          if (res.status === 401) {
            // The session ended (expired, signed out elsewhere, removed): sign in again, then back here.
            window.location.assign(signInHere());
            throw new SignedOut();
          }
          if (!res.ok) throw new Error(`GET ${url.split('?')[0]} answered ${res.status}${await problemMessage(res)}`);
          const parsed = latest.current.schema.safeParse(await res.json());
          if (!parsed.success) throw new Error(`the answer was not understood: ${describeIssues(fieldIssues(parsed.error))}`);
          return parsed.data;
        },
        onStart: () => {
          setRefreshing(true);
          latest.current.onRefreshStart?.();
        },
        onData: (data) => {
          setReport(data);
          latest.current.onRefreshed?.(data);
          setError(null);
        },
        onError: (err) => {
          if (err instanceof SignedOut) return;
          console.error(`refresh of ${url} failed`, err);
          latest.current.onRefreshed?.(null);
          setError(err.message);
        },
        onSettled: () => setRefreshing(false),
      },
      cadence,
      undefined,
      { aligned: true, phaseMs: viewPhaseMs(url, cadence) },
    );
    refetcher.current = r;

    const socket = io({ path: '/socket.io' });
    socket.on('connect', () => setStatus('live'));
    // Sent by the server right after connecting, with the newest watermark it knows.
    socket.on(LIVE_WATERMARK_EVENT, (payload: unknown) => {
      const hello = liveWatermarkSchema.safeParse(payload);
      if (!hello.success) {
        setError(`a live update was not understood: ${describeIssues(fieldIssues(hello.error))}`);
        return;
      }
      watermark = hello.data.watermark;
      // Batches stored between the server render (or a disconnect) and this subscription
      // were pushed to nobody: catch up once, now, outside the throttle.
      r.refresh();
    });
    socket.on('disconnect', () => setStatus('offline'));
    // The server refuses a reconnect whose session ended (signed out, expired, removed): if
    // that is why, sign in again rather than sit "offline"; any other failure stays quiet.
    socket.on('connect_error', () => {
      fetch('/api/v1/me', { cache: 'no-store' }).then(
        (res) => {
          if (res.status === 401) window.location.assign(signInHere());
        },
        () => {},
      );
    });
    socket.io.on('reconnect_attempt', () => setStatus('connecting'));
    socket.on(LIVE_EVENT, (payload: unknown) => {
      const push = livePushSchema.safeParse(payload);
      if (!push.success) {
        // Shown, not swallowed: a server and page from different builds disagree on the shape.
        setError(`a live update was not understood: ${describeIssues(fieldIssues(push.error))}`);
        return;
      }
      watermark = push.data.watermark;
      latest.current.onPush?.(push.data);
      r.request();
    });

    // Polling only while someone can see the page, and through the same throttle and
    // coalescing as pushes: at most one extra fetch per period.
    let poll: ReturnType<typeof setInterval> | undefined;
    const onVisible = () => {
      if (document.visibilityState === 'visible') r.request();
    };
    if (pollMs !== undefined) {
      poll = setInterval(onVisible, pollMs);
      document.addEventListener('visibilitychange', onVisible);
    }

    return () => {
      refetcher.current = null;
      r.close();
      socket.close();
      if (poll !== undefined) {
        clearInterval(poll);
        document.removeEventListener('visibilitychange', onVisible);
      }
      setRefreshing(false);
    };
  }, [url, spanKind, pollMs]);

  return { report, status, refreshing, error, retry: () => refetcher.current?.request() };
}

const problemSchema = z.object({ error: z.object({ message: z.string() }) });

/** The `error.message` of our JSON error answers (lib/http/problem), when it is one, for the banner. */
async function problemMessage(res: Response): Promise<string> {
  const body: unknown = await res.json().catch(() => null);
  const parsed = problemSchema.safeParse(body);
  return parsed.success ? `: ${parsed.data.error.message}` : '';
}
