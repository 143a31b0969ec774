/**
 * The refetch loop behind every live dashboard page, without React or sockets so its
 * coalescing can be tested with a fake clock. Requests go through a leading-and-trailing
 * throttle (a few renders a second at most); a request while a fetch runs marks "again",
 * and one more fetch follows it, because that answer may predate the push. close() aborts
 * the fetch in flight and silences every callback after it (unmount, query change).
 */
import { createAlignedThrottle, createThrottle, type ThrottleClock } from './throttle';

export interface RefetchHandlers<T> {
  /** Fetch and parse one answer; a throw (or a rejection) is reported to onError. */
  load(signal: AbortSignal): Promise<T>;
  /** A fetch starts (the overview takes its queued feed items here). */
  onStart?(): void;
  onData(data: T): void;
  onError(err: Error): void;
  /** After onData or onError, before a coalesced follow-up starts. */
  onSettled?(): void;
}

export interface Refetcher {
  /** Ask for a fresh answer: now, at the end of the throttle interval, or after the fetch in flight. */
  request(): void;
  /**
   * Fetch now, outside the throttle (after the fetch in flight if one runs): the catch-up
   * once the socket is up, which must not make the first push after it wait a whole interval.
   */
  refresh(): void;
  /** Abort the fetch in flight and drop pending requests; no callback runs afterwards. */
  close(): void;
}

export interface RefetcherOptions {
  /**
   * Refetch in slots of the wall clock (createAlignedThrottle) instead of `intervalMs` after
   * the last fetch: live pages do, so that their viewers ask the server together.
   */
  aligned?: boolean;
  /** With `aligned`: where in the period this view's slots start (view-key.ts viewPhaseMs). */
  phaseMs?: number;
}

/** @throws RangeError when `intervalMs` is not positive (from the throttle). */
export function createRefetcher<T>(handlers: RefetchHandlers<T>, intervalMs: number, clock?: ThrottleClock, options: RefetcherOptions = {}): Refetcher {
  const abort = new AbortController();
  let inFlight = false;
  let again = false;

  const run = async (): Promise<void> => {
    if (abort.signal.aborted) return;
    if (inFlight) {
      again = true;
      return;
    }
    inFlight = true;
    handlers.onStart?.();
    try {
      const data = await handlers.load(abort.signal);
      if (!abort.signal.aborted) handlers.onData(data);
    } catch (err) {
      if (!abort.signal.aborted) handlers.onError(err instanceof Error ? err : new Error(String(err)));
    } finally {
      inFlight = false;
      if (!abort.signal.aborted) {
        handlers.onSettled?.();
        if (again) {
          again = false;
          void run();
        }
      }
    }
  };

  const throttle = options.aligned
    ? createAlignedThrottle(() => void run(), intervalMs, clock, options.phaseMs)
    : createThrottle(() => void run(), intervalMs, clock);
  return {
    request: () => {
      if (!abort.signal.aborted) throttle.schedule();
    },
    refresh: () => void run(),
    close: () => {
      abort.abort();
      throttle.cancel();
    },
  };
}
