/** The overview's summary of the analysis: the strongest signatures, a line each. */
import type { Signature } from '../../lib/analysis/types';

export function TopSignatures({ signatures, totalDrops }: { signatures: readonly Signature[]; totalDrops: number }) {
  return (
    <section className="card top-signatures" data-testid="top-signatures" data-count={signatures.length} aria-label="Strongest drop signatures">
      <header className="card-header">
        <h2 className="card-title">Drop signatures, last 24 h</h2>
        <a className="card-meta" href="/analysis">full analysis →</a>
      </header>
      {signatures.length === 0 ? (
        <p className="muted">{totalDrops === 0 ? 'No drops in the last 24 hours.' : `${totalDrops} drops, none at an exact duration yet.`}</p>
      ) : (
        <ul className="findings">
          {signatures.slice(0, 3).map((s) => (
            <li key={s.key} className="finding finding-critical">
              <div className="finding-title">
                {s.nSeconds.toFixed(1)} s · {s.count} drops
              </div>
              <div>{s.verdict}</div>
            </li>
          ))}
        </ul>
      )}
    </section>
  );
}
