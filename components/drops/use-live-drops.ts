'use client';
/**
 * The drops report kept live: every socket.io push schedules a throttled refetch of
 * GET /api/v1/drops with the page's own query string (a relative range moves with the
 * clock). Answers are parsed with zod before they reach state.
 */
import { useEffect, useState } from 'react';
import { io } from 'socket.io-client';
import { describeIssues, fieldIssues } from '../../lib/http/problem';
import { dropsReportSchema, type DropsReport } from '../../lib/drops/report';
import { LIVE_EVENT } from '../../lib/realtime/feed';
import { createThrottle } from '../../lib/realtime/throttle';

export type LiveStatus = 'connecting' | 'live' | 'offline';

/** A refetch a second at most: each one runs the histograms and the analysis. */
const REFRESH_INTERVAL_MS = 1000;

export function useLiveDrops(initial: DropsReport, query: string): { report: DropsReport; status: LiveStatus; refreshing: boolean; error: string | null } {
  const [report, setReport] = useState(initial);
  const [status, setStatus] = useState<LiveStatus>('connecting');
  const [refreshing, setRefreshing] = useState(false);
  const [error, setError] = useState<string | null>(null);

  useEffect(() => {
    const abort = new AbortController();
    let inFlight = false;
    let again = false;

    const refresh = async () => {
      if (inFlight) {
        again = true;
        return;
      }
      inFlight = true;
      setRefreshing(true);
      try {
        const res = await fetch(`/api/v1/drops${query}`, { cache: 'no-store', signal: abort.signal });
        if (!res.ok) throw new Error(`GET /api/v1/drops answered ${res.status}`);
        const parsed = dropsReportSchema.safeParse(await res.json());
        if (!parsed.success) throw new Error(`the answer was not understood: ${describeIssues(fieldIssues(parsed.error))}`);
        setReport(parsed.data);
        setError(null);
      } catch (err) {
        if (abort.signal.aborted) return;
        console.error('drops refresh failed', err);
        setError((err as Error).message);
      } finally {
        inFlight = false;
        if (!abort.signal.aborted) setRefreshing(false);
        // A push arrived while fetching: the answer may predate it.
        if (again && !abort.signal.aborted) {
          again = false;
          void refresh();
        }
      }
    };
    const flush = createThrottle(() => void refresh(), REFRESH_INTERVAL_MS);

    const socket = io({ path: '/socket.io' });
    socket.on('connect', () => {
      setStatus('live');
      // Batches stored between the server render and this subscription reached nobody.
      flush.schedule();
    });
    socket.on('disconnect', () => setStatus('offline'));
    socket.io.on('reconnect_attempt', () => setStatus('connecting'));
    // The push's items are not needed: the aggregates are refetched whole.
    socket.on(LIVE_EVENT, () => flush.schedule());

    return () => {
      abort.abort();
      flush.cancel();
      socket.close();
    };
  }, [query]);

  return { report, status, refreshing, error };
}
