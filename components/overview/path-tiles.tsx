/**
 * A tile per path (target × proxy) of the last hour, coloured by health, linking to the path
 * page. Its counts are of the canaries attempted in the hour (the matrix's definition), read
 * at `asOf`: the live tiles above move on, so it says when it was read (issue 19).
 */
import type { PathCell } from '../../lib/paths/types';
import { Instant } from '../dashboard/time-zone';

const WORD = { healthy: 'healthy', degraded: 'degraded', failing: 'failing', idle: 'no traffic' } as const;

export function PathTiles({ cells, asOf }: { cells: readonly PathCell[]; asOf?: string }) {
  if (cells.length === 0) return null;
  return (
    <section className="card path-tiles" data-testid="path-tiles" data-count={cells.length} aria-label="Paths, last hour">
      <header className="card-header">
        <h2 className="card-title">Paths · last hour</h2>
        <span className="card-meta" data-testid="path-tiles-as-of" data-at={asOf}>
          canaries attempted in the hour{asOf && (
            <>
              {' '}· as of <Instant at={asOf} style="clock" />
            </>
          )}{' '}
          · <a href="/paths">matrix →</a>
        </span>
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
