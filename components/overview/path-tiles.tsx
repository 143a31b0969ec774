/** A tile per path (target × proxy) of the last hour, coloured by health, linking to the path page. */
import type { PathCell } from '../../lib/paths/types';

const WORD = { healthy: 'healthy', degraded: 'degraded', failing: 'failing', idle: 'no traffic' } as const;

export function PathTiles({ cells }: { cells: readonly PathCell[] }) {
  if (cells.length === 0) return null;
  return (
    <section className="card path-tiles" data-testid="path-tiles" data-count={cells.length} aria-label="Paths, last hour">
      <header className="card-header">
        <h2 className="card-title">Paths · last hour</h2>
        <a className="card-meta" href="/paths">matrix →</a>
      </header>
      <ul>
        {cells.map((c) => (
          <li key={c.id}>
            <a href={`/paths/${c.id}`} className={`path-tile health-${c.health}`} data-health={c.health}>
              <span className="path-tile-name">
                {c.target} · {c.proxy === 'direct' ? 'direct' : `via ${c.proxy}`}
              </span>
              <span className="path-tile-stats">
                {WORD[c.health]} · {c.drops} {c.drops === 1 ? 'drop' : 'drops'} · {c.upgradeRatio === null ? 'no attempts' : `${Math.round(c.upgradeRatio * 100)}% upgraded`}
              </span>
            </a>
          </li>
        ))}
      </ul>
    </section>
  );
}
