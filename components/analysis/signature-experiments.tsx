/**
 * A signature's experiments (issue 18), under its verdict (which says them in a sentence):
 * whether its fix held on each path that sees it, and where on a declared chain of entry
 * points its cut happens.
 */
import { formatSeconds } from '../../lib/analysis/stats';
import type { Signature } from '../../lib/analysis/types';
import type { ChainPosition, VerificationView } from '../../lib/diagnosis/types';

const STATUS_BADGE = { verified: 'badge-open', refuted: 'badge-drop', running: 'badge-closed' } as const;
const HOP_BADGE = { cut: 'badge-drop', clean: 'badge-open', unseen: 'badge-closed' } as const;
const HOP_TITLE = { cut: 'its canaries are cut at N', clean: 'its canaries outlive N', unseen: 'no canary there reached N' } as const;

function Verification({ v }: { v: VerificationView }) {
  const fix = v.fix.kind === 'heartbeat' ? `a ${v.fix.intervalMs / 1000} s heartbeat held ${formatSeconds(v.holdMs / 1000)}` : `reconnecting every ${formatSeconds(v.fix.everyMs / 1000)}`;
  return (
    <div data-testid="verification" data-status={v.status}>
      <strong>Fix tried:</strong> <span className={`badge ${STATUS_BADGE[v.status]}`}>{v.status}</span> {fix}
      <ul className="muted">
        {v.paths.map((p) => (
          <li key={`${p.probe}|${p.target}|${p.proxy}`} data-outcome={p.outcome}>
            {p.probe} → {p.proxy} → {p.target}:{' '}
            {p.outcome === 'died' ? `died at ${formatSeconds((p.diedAtMs ?? 0) / 1000)} (${p.endKind})` : p.outcome === 'held' ? `held ${formatSeconds(p.heldMs / 1000)}` : 'running'}
          </li>
        ))}
      </ul>
    </div>
  );
}

function Chain({ c }: { c: ChainPosition }) {
  return (
    <div data-testid="chain" data-cut-at={c.cutAt ?? ''}>
      <strong>Chain {c.chain}:</strong>{' '}
      {c.hops.map((h, i) => (
        <span key={h.target}>
          {i > 0 && ' → '}
          <span className={`badge ${HOP_BADGE[h.state]}`} title={HOP_TITLE[h.state]} data-state={h.state}>
            {h.target}
          </span>
        </span>
      ))}
      <div className="muted">{c.summary}</div>
    </div>
  );
}

export function SignatureExperiments({ sig }: { sig: Signature }) {
  if (!sig.verification && !sig.chain) return null;
  return (
    <section className="signature-experiments" data-testid="signature-experiments">
      {sig.verification && <Verification v={sig.verification} />}
      {sig.chain && <Chain c={sig.chain} />}
    </section>
  );
}
