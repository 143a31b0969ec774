/** Refusals, silent deaths, ladder results and egress rotation, most severe first. */
import type { Finding } from '../../lib/analysis/findings';

export function FindingsList({ findings }: { findings: readonly Finding[] }) {
  if (findings.length === 0) return <p className="muted">No refusals, silent deaths, ladder results or egress rotation in this range.</p>;
  return (
    <ul className="findings" data-testid="findings">
      {findings.map((f) => (
        <li key={`${f.kind}|${f.title}`} className={`finding finding-${f.severity}`} data-kind={f.kind}>
          <div className="finding-title">{f.title}</div>
          <div className="muted">{f.detail}</div>
          <div>
            <strong>Fix:</strong> {f.recommendation}
          </div>
        </li>
      ))}
    </ul>
  );
}
