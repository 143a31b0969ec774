'use client';
/**
 * What every live page shows about its subscription: a dot and a word (never colour alone)
 * for the socket, and, when a refetch failed, a banner that says what still shows, what
 * to try, and a button to try again now.
 */
import type { LiveStatus } from './use-live-report';

const STATUS_TEXT: Record<LiveStatus, string> = { connecting: 'connecting…', live: 'live', offline: 'offline, reconnecting' };

export function LiveStatusBadge({ status, busy = false }: { status: LiveStatus; busy?: boolean }) {
  return (
    <span className={`status status-${status}`} data-testid="live-status" role="status">
      <span className="status-dot" aria-hidden="true" />
      {STATUS_TEXT[status]}
      {busy ? ' · updating…' : ''}
    </span>
  );
}

export function RefreshError({ error, status, retry }: { error: string | null; status: LiveStatus; retry(): void }) {
  if (!error) return null;
  return (
    <div className="banner banner-error live-error" role="alert" data-testid="refresh-error">
      <span>
        Could not refresh: {error}. The figures below are from the last successful update.{' '}
        {status === 'live'
          ? 'They update again with the next batch; if this persists, reload the page or check the server log.'
          : 'The server cannot be reached: check that it is running; the page reconnects by itself.'}
      </span>
      <button type="button" className="button" onClick={retry}>
        Try again
      </button>
    </div>
  );
}
