/** What a page shows while its queries run (inside a Suspense boundary, after the cheap checks). */
export function Loading({ what }: { what: string }) {
  return (
    <p className="placeholder" role="status" aria-live="polite" data-testid="loading">
      Loading {what}…
    </p>
  );
}
