'use client';
/** A failure while computing the page: say so, offer a retry, and log it for the console. */
import { useEffect } from 'react';

export default function DropsError({ error, reset }: { error: Error & { digest?: string }; reset: () => void }) {
  useEffect(() => console.error('drops page failed', error), [error]);
  return (
    <div className="banner banner-error" role="alert">
      The drops could not be computed{error.digest ? ` (error ${error.digest}, see the server log)` : ''}.{' '}
      <button type="button" onClick={reset}>
        Try again
      </button>
    </div>
  );
}
