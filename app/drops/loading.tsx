/** Shown while the server computes a new view (a changed range, filter or bin width). */
export default function Loading() {
  return (
    <p className="placeholder" role="status" data-testid="drops-loading">
      Loading drops…
    </p>
  );
}
