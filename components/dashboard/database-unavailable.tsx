'use client';
/**
 * What a page shows instead of its figures while the database cannot be reached
 * (app/database-page.tsx): what happened, that nothing is lost, and that the page tries
 * again by itself.
 */
import { useRouter } from 'next/navigation';
import { useEffect } from 'react';

/** How often the page asks again: the server answers within its 2 s connect timeout either way. */
const RETRY_MS = 5_000;

export function DatabaseUnavailable() {
  const router = useRouter();
  useEffect(() => {
    const timer = setInterval(() => router.refresh(), RETRY_MS);
    return () => clearInterval(timer);
  }, [router]);
  return (
    <div className="banner banner-error" role="alert" data-testid="database-unavailable">
      <span>
        dropscope cannot reach its database, so this page has no figures to show. Probes keep their events in their spools until the
        database answers again, and the API answers 503 with Retry-After meanwhile: nothing is lost. This page tries again every{' '}
        {RETRY_MS / 1000} s; if it persists, check PostgreSQL and the server log.
      </span>
      <button type="button" className="button" onClick={() => router.refresh()}>
        Try again
      </button>
    </div>
  );
}
