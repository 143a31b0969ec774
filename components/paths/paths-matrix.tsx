/**
 * Targets down, proxies across (target × probe rows when split by probe). Each cell is a
 * link to the path page carrying the current scope, and says its health in words as well
 * as by colour and border style.
 */
import type { ExportColumn } from '../../lib/dashboard/table-export';
import { formatDurationShort, formatPercent } from '../../lib/overview/format';
import { HEALTH_RULES, type Health } from '../../lib/paths/health';
import type { PathCell, PathsMatrix as Matrix } from '../../lib/paths/types';
import { TableExport } from '../dashboard/table-export';
import { approxLifetime, rate } from './format';
import css from './paths.module.css';

/** The export: one row per cell (path, or path and probe), raw figures. */
export const MATRIX_EXPORT_COLUMNS: readonly ExportColumn<PathCell>[] = [
  { header: 'path', value: (c) => c.id },
  { header: 'target', value: (c) => c.target },
  { header: 'proxy', value: (c) => c.proxy },
  { header: 'probe', value: (c) => c.probe },
  { header: 'health', value: (c) => c.health },
  { header: 'attempts', value: (c) => c.attempts },
  { header: 'opened', value: (c) => c.opened },
  { header: 'upgrade ratio', value: (c) => c.upgradeRatio },
  { header: 'ended', value: (c) => c.ended },
  { header: 'drops', value: (c) => c.drops },
  { header: 'drop share', value: (c) => c.dropShare },
  { header: 'drops per hour of data', value: (c) => c.dropsPerHour },
  { header: 'data ms', value: (c) => c.dataMs },
  { header: 'probe closed', value: (c) => c.probeClosed },
  { header: 'median drop lifetime ms', value: (c) => c.medianDropLifetimeMs },
  { header: 'median lifetime ms', value: (c) => c.medianLifetimeMs },
  { header: 'last attempt', value: (c) => c.lastAttemptAt },
];

const WORD: Record<Health, string> = { healthy: 'healthy', degraded: 'degraded', failing: 'failing', idle: 'no attempts' };

export function PathsMatrix({ matrix, scopeQuery }: { matrix: Matrix; scopeQuery: Record<string, string> }) {
  const rows = matrix.byProbe
    ? matrix.targets.flatMap((t) => [...new Set(matrix.cells.filter((c) => c.target === t).map((c) => c.probe!))].map((probe) => ({ target: t, probe })))
    : matrix.targets.map((t) => ({ target: t, probe: null as string | null }));
  const at = (target: string, proxy: string, probe: string | null) => matrix.cells.find((c) => c.target === target && c.proxy === proxy && c.probe === probe);
  return (
    <div className={css.matrixBlock}>
      <div className={css.matrixTools}>
        <TableExport name={matrix.byProbe ? 'paths-by-probe' : 'paths'} rows={matrix.cells} columns={MATRIX_EXPORT_COLUMNS} />
      </div>
      <div className={css.scroll}>
        <table className={css.matrix} data-testid="paths-matrix" data-cells={matrix.cells.length} data-by={matrix.byProbe ? 'probe' : 'path'}>
          <caption className="sr-only">Paths: targets by proxies{matrix.byProbe ? ', per probe' : ''}</caption>
          <thead>
            <tr>
              <th scope="col">target{matrix.byProbe ? ' · probe' : ''} \ proxy</th>
              {matrix.proxies.map((p) => (
                <th key={p} scope="col">
                  {p}
                </th>
              ))}
            </tr>
          </thead>
          <tbody>
            {rows.map((row) => (
              <tr key={`${row.target}|${row.probe ?? ''}`}>
                <th scope="row" title={row.target}>
                  {row.target}
                  {row.probe !== null && <span className={css.probeName}>from {row.probe}</span>}
                </th>
                {matrix.proxies.map((proxy) => {
                  const cell = at(row.target, proxy, row.probe);
                  return cell ? (
                    <td key={proxy} className={css.cell}>
                      <CellLink cell={cell} scopeQuery={scopeQuery} />
                    </td>
                  ) : (
                    <td key={proxy} className={css.empty}>
                      not probed
                    </td>
                  );
                })}
              </tr>
            ))}
          </tbody>
        </table>
      </div>
    </div>
  );
}

function CellLink({ cell, scopeQuery }: { cell: PathCell; scopeQuery: Record<string, string> }) {
  const q = new URLSearchParams({ ...scopeQuery, ...(cell.probe !== null && { probe: cell.probe }) });
  // The path page's own id names target and proxy; the filters would only repeat them.
  q.delete('target');
  q.delete('proxy');
  const qs = q.toString();
  const label = `${cell.target} through ${cell.proxy}${cell.probe ? ` from ${cell.probe}` : ''}: ${WORD[cell.health]}`;
  return (
    <a
      className={`${css.cellLink} ${css[cell.health]}`}
      href={`/paths/${cell.id}${qs ? `?${qs}` : ''}`}
      aria-label={label}
      data-testid="path-cell"
      data-target={cell.target}
      data-proxy={cell.proxy}
      data-probe={cell.probe ?? ''}
      data-health={cell.health}
    >
      <span className={css.healthWord}>{WORD[cell.health]}</span>
      <dl style={{ display: 'contents' }}>
        {/* The path's own life: the drops'. Canaries the probe closed at their planned age say nothing of it. */}
        <dt>median life</dt>
        <dd title={cell.probeClosed > 0 ? `${cell.probeClosed} canaries closed by the probe at their planned age are not counted` : undefined}>
          {cell.drops > 0 ? approxLifetime(cell.medianDropLifetimeMs) : cell.ended > 0 ? 'no drops' : '—'}
        </dd>
        <dt>drops</dt>
        <dd title={`${cell.drops} drops in ${formatDurationShort(cell.dataMs)} of data`}>
          {rate(cell.dropsPerHour)} · {cell.drops}/{cell.ended}
        </dd>
        <dt>data</dt>
        <dd>{formatDurationShort(cell.dataMs)}</dd>
        <dt>upgrades</dt>
        <dd>
          {formatPercent(cell.upgradeRatio)} of {cell.attempts}
        </dd>
      </dl>
    </a>
  );
}

export function HealthLegend() {
  const pct = (x: number) => `${Math.round(x * 100)}%`;
  return (
    <ul className={css.legend} aria-label="Health legend" data-testid="health-legend">
      <li>
        <span className={`${css.key} ${css.healthy}`} /> healthy: ≥ {pct(HEALTH_RULES.degradedUpgrade)} upgraded, &lt; {pct(HEALTH_RULES.degradedDrops)} of endings dropped
      </li>
      <li>
        <span className={`${css.key} ${css.degraded}`} /> degraded: &lt; {pct(HEALTH_RULES.degradedUpgrade)} upgraded or ≥ {pct(HEALTH_RULES.degradedDrops)} dropped
      </li>
      <li>
        <span className={`${css.key} ${css.failing}`} /> failing: &lt; {pct(HEALTH_RULES.failingUpgrade)} upgraded or ≥ {pct(HEALTH_RULES.failingDrops)} dropped
      </li>
      <li>
        <span className={`${css.key} ${css.idle}`} /> no attempts in range
      </li>
    </ul>
  );
}
