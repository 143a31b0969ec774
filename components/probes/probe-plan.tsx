/**
 * One probe's plan as it last reported it (issue 17): the paths it runs with their canaries
 * open against planned, its local paths tagged `local`, every path it could not run with
 * why and which field, and a server plan it rejected with the issues it found. Open by
 * itself when something needs a look, so a warning is never hidden behind a click.
 */
import { formatDurationShort } from '../../lib/overview/format';
import type { ProbePlanStatus } from '../../lib/paths/types';
import css from './probes.module.css';

type PlanPath = ProbePlanStatus['paths'][number];

const pathName = (p: PlanPath) => `${p.target} · ${p.proxy} · ${p.profile}`;

/** The plan cell of the probes table: which version, and when the probe last fetched it. */
export function PlanCell({ plan }: { plan: ProbePlanStatus | null }) {
  if (!plan || !plan.fetchedAt) return <span className="muted" data-testid="plan-cell">not fetched</span>;
  const runsOther = plan.appliedVersion !== null && plan.version !== null && plan.appliedVersion !== plan.version;
  return (
    <span data-testid="plan-cell" data-version={plan.version ?? ''}>
      <span className={css.mono}>{plan.version ? plan.version.slice(0, 8) : '—'}</span>
      <span className={css.sub}>fetched {plan.fetchedForMs === null ? '—' : `${formatDurationShort(Math.max(1000, plan.fetchedForMs))} ago`}</span>
      {runsOther && <span className={css.sub}>runs {plan.appliedVersion!.slice(0, 8)}</span>}
    </span>
  );
}

export function ProbePlan({ probe, plan }: { probe: string; plan: ProbePlanStatus }) {
  const unconfigured = plan.paths.filter((p) => p.state === 'unconfigured');
  const running = plan.paths.filter((p) => p.state !== 'unconfigured');
  const planned = running.reduce((s, p) => s + p.canaries, 0);
  const open = running.reduce((s, p) => s + p.open, 0);
  const summary = [
    `${running.length} path${running.length === 1 ? '' : 's'} running`,
    `${open}/${planned} canaries open`,
    unconfigured.length > 0 && `${unconfigured.length} unconfigured`,
    plan.rejected && 'server plan rejected',
    plan.reportedAt === null && 'no status reported yet',
    plan.truncated && 'more paths than it could report',
  ].filter(Boolean);
  return (
    <details className={css.plan} data-testid="probe-plan" data-probe={probe} open={unconfigured.length > 0 || plan.rejected !== null || undefined}>
      <summary>
        plan of {probe}: {summary.join(' · ')}
      </summary>
      {plan.rejected && (
        <div className={css.rejected} role="note" data-testid="plan-rejected" data-version={plan.rejected.version}>
          The probe rejected the server plan {plan.rejected.version.slice(0, 8)} and keeps running its previous one:
          <ul>
            {plan.rejected.issues.map((i, n) => (
              <li key={n}>
                <code className={css.mono}>{i.path || '(root)'}</code>: {i.message}
              </li>
            ))}
          </ul>
        </div>
      )}
      {plan.paths.length === 0 ? (
        <p className={css.sub}>No path reported.</p>
      ) : (
        <ul className={css.planPaths}>
          {plan.paths.map((p, n) => (
            <li
              key={`${p.source}-${p.id ?? ''}-${pathName(p)}-${n}`}
              className={p.state === 'unconfigured' ? css.planWarn : undefined}
              data-testid="plan-path"
              data-source={p.source}
              data-state={p.state}
              data-path-id={p.id ?? undefined}
            >
              <span className={css.mono}>{pathName(p)}</span>{' '}
              {p.source === 'local' && (
                <span className={css.tag} title="defined in the probe's own YAML">
                  local
                </span>
              )}{' '}
              {p.state === 'unconfigured' ? (
                <span>
                  <span aria-hidden="true">▲</span> unconfigured: {p.reason ?? 'no reason given'}
                  {p.field && (
                    <>
                      {' '}
                      (<code className={css.mono}>{p.field}</code>)
                    </>
                  )}
                </span>
              ) : (
                <span>
                  {p.open}/{p.canaries} open
                </span>
              )}
            </li>
          ))}
        </ul>
      )}
    </details>
  );
}
