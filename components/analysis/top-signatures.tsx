/** The overview's summary of the analysis: the strongest signatures, a line each. */
import type { Finding } from '../../lib/analysis/findings';
import type { Signature } from '../../lib/analysis/types';
import { Instant } from '../dashboard/time-zone';

/** `earlyCloses`: connections closed right after their 101, which are no signature but must be said. */
/** `asOf`: the instant the analysis was read at (the page's one `now`), said beside its counts. */
export function TopSignatures({ signatures, totalDrops, earlyCloses = [], asOf }: { signatures: readonly Signature[]; totalDrops: number; earlyCloses?: readonly Finding[]; asOf?: string }) {
  return (
    <section className="card top-signatures" data-testid="top-signatures" data-count={signatures.length} aria-label="Strongest drop signatures">
      <header className="card-header">
        <h2 className="card-title">Drop signatures, last 24 h</h2>
        <span className="card-meta" data-testid="top-signatures-as-of" data-at={asOf}>
          {asOf && (
            <>
              as of <Instant at={asOf} style="clock" /> ·{' '}
            </>
          )}
          <a href="/analysis">full analysis →</a>
        </span>
      </header>
      {earlyCloses.length > 0 && (
        <ul className="findings" data-testid="early-closes">
          {earlyCloses.map((f) => (
            <li key={f.title} className={`finding finding-${f.severity}`} data-cause={f.cause}>
              <div className="finding-title">{f.title}</div>
              <div>{f.recommendation}</div>
            </li>
          ))}
        </ul>
      )}
      {signatures.length === 0 ? (
        <p className="muted">{totalDrops === 0 ? 'No drops in the last 24 hours.' : earlyCloses.length > 0 ? 'No drops at an exact duration past the first second.' : `${totalDrops} drops, none at an exact duration yet.`}</p>
      ) : (
        <ul className="findings">
          {signatures.slice(0, 3).map((s) => (
            <li key={s.key} className="finding finding-critical">
              <div className="finding-title">
                {s.nSeconds.toFixed(1)} s · {s.count} drops
              </div>
              <div>{s.verdict}</div>
              <div>
                <strong>Fix:</strong> {s.recommendation}
              </div>
            </li>
          ))}
        </ul>
      )}
    </section>
  );
}
