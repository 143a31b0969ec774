export default function Loading() {
  return (
    <p className="placeholder" role="status" aria-live="polite">
      Loading probes…
    </p>
  );
}
