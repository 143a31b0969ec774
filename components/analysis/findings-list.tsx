/** Refusals, silent deaths, ladder results and egress rotation, most severe first; then what the experiments concluded. */
import type { Finding } from '../../lib/analysis/findings';
import { ExperimentsList, isExperiment } from './experiments-list';

export function FindingsList({ findings }: { findings: readonly Finding[] }) {
  const passive = findings.filter((f) => !isExperiment(f));
  return (
    <>
      {passive.length === 0 ? (
        <p className="muted">No refusals, silent deaths, ladder results or egress rotation in this range.</p>
      ) : (
        <ul className="findings" data-testid="findings">
          {passive.map((f) => (
            <li key={`${f.kind}|${f.title}`} className={`finding finding-${f.severity}`} data-kind={f.kind} data-signature={f.signature} data-fix={f.fix?.kind === 'heartbeat' ? `heartbeat:${f.fix.intervalMs}` : undefined}>
              <div className="finding-title">{f.title}</div>
              <div className="muted">{f.detail}</div>
              <div>
                {/* An info finding reports a path that is fine ("survives every rung"): nothing to fix. */}
                <strong>{f.severity === 'info' ? 'Note:' : 'Fix:'}</strong> {f.recommendation}
              </div>
            </li>
          ))}
        </ul>
      )}
      <h3>Experiments</h3>
      <ExperimentsList findings={findings.filter(isExperiment)} />
    </>
  );
}
