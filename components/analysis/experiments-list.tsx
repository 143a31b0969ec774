/**
 * What the experiments concluded (issue 18), beside the passive findings: the adaptive
 * ladder's brackets, L4 or L7 by a keepalive rung, and what echo canaries saw of buffering
 * and large frames. Verifications and chain positions belong to a signature: its card shows them.
 */
import type { Finding, FindingKind } from '../../lib/analysis/findings';

/** The finding kinds an experiment makes (lib/diagnosis). */
export const EXPERIMENT_KINDS: readonly FindingKind[] = ['bisect', 'transport', 'echo'];

export const isExperiment = (f: Finding) => EXPERIMENT_KINDS.includes(f.kind);

const KIND_LABEL: Partial<Record<FindingKind, string>> = { bisect: 'adaptive ladder', transport: 'L4 or L7', echo: 'echo' };

/** Each cause in a few words, for the badge. */
const CAUSE_LABEL: Record<string, string> = {
  converged: 'bracketed',
  searching: 'narrowing',
  survives: 'no cut yet',
  dies: 'dies at every gap',
  l4: 'L4: NAT, firewall or L4 balancer',
  l7: 'L7 proxy',
  buffering: 'buffering',
  'frame-lost': 'large frames lost',
  'frame-cut': 'cut at a frame size',
  'frame-refused': '1009 Message Too Big',
};

export function ExperimentsList({ findings }: { findings: readonly Finding[] }) {
  if (findings.length === 0) {
    return (
      <p className="muted" data-testid="experiments-none">
        No experiment concluded in this range. Bisect and echo profiles run where the plan has them; verification canaries and keepalive rungs are asked of the probes that see a signature.
      </p>
    );
  }
  return (
    <ul className="findings" data-testid="experiments">
      {findings.map((f) => (
        <li key={`${f.kind}|${f.title}`} className={`finding finding-${f.severity}`} data-kind={f.kind} data-cause={f.cause}>
          <div className="finding-title">
            <span className="badge badge-closed">
              {KIND_LABEL[f.kind] ?? f.kind}
              {f.cause ? `: ${CAUSE_LABEL[f.cause] ?? f.cause}` : ''}
            </span>{' '}
            {f.title}
          </div>
          <div className="muted">{f.detail}</div>
          <div>
            <strong>Fix:</strong> {f.recommendation}
          </div>
        </li>
      ))}
    </ul>
  );
}
