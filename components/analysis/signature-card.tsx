'use client';
/**
 * One drop signature: the verdict first, then the numbers behind it. A client component for
 * its paths table's export and its instants in the URL's zone (lib/dashboard/time.ts).
 */
import { describeSpread } from '../../lib/analysis/stats';
import { namedCandidate } from '../../lib/analysis/verdict';
import type { PathExposure, Signature } from '../../lib/analysis/types';
import type { ExportColumn } from '../../lib/dashboard/table-export';
import { TableExport } from '../dashboard/table-export';
import { Instant } from '../dashboard/time-zone';
import { SignatureExperiments } from './signature-experiments';

/** The paths table's columns, exported as shown. */
const PATH_COLUMNS: readonly ExportColumn<PathExposure>[] = [
  { header: 'probe', value: (p) => p.probe },
  { header: 'target', value: (p) => p.target },
  { header: 'proxy', value: (p) => p.proxy },
  { header: 'profile', value: (p) => p.profile },
  { header: 'reached N', value: (p) => p.reached },
  { header: 'cut at N', value: (p) => p.hits },
  { header: 'outlived N', value: (p) => p.outlived },
];

const KIND_LABEL = { idle: 'idle timeout', lifetime: 'lifetime limit', undetermined: 'idle or lifetime?' } as const;

export function SignatureCard({ sig }: { sig: Signature }) {
  const endings = Object.entries(sig.endings).sort((a, b) => b[1] - a[1]);
  return (
    <article className="card signature" data-testid="signature" data-key={sig.key} data-fix={fixData(sig)} data-n={sig.nSeconds} data-kind={sig.kind} data-scope={sig.location.scope} data-software={sig.software?.name ?? ''} data-confidence={sig.confidence.level} data-from-aggregates={sig.fromAggregatesOnly ? 'yes' : undefined}>
      <header className="card-header">
        <h3 className="signature-n">
          {sig.nSeconds.toFixed(1)} s <span className={`badge badge-${sig.kind === 'lifetime' ? 'refused' : 'drop'}`}>{KIND_LABEL[sig.kind]}</span>
        </h3>
        <span className="card-meta">
          {sig.count} drops · {Math.round(sig.share * 100)}% of drops · <span data-testid="spread">spread {describeSpread(sig)}</span> · {sig.dimension === 'idle' ? 'by silence before the drop' : 'by age'}
        </span>
      </header>
      <p className="verdict">{sig.verdict}</p>
      {sig.fromAggregatesOnly && (
        <p className="banner" role="note" data-testid="from-aggregates">
          From the hourly aggregates only: {sig.fromAggregatesOnly}.
        </p>
      )}
      <p className="recommendation">
        <strong>Fix:</strong> {sig.recommendation}
      </p>
      <SignatureExperiments sig={sig} />
      <div className="signature-grid">
        <section>
          <h4>Where</h4>
          <ul>{sig.location.evidence.map((e) => <li key={e}>{e}</li>)}</ul>
        </section>
        <section>
          <h4>Idle or lifetime</h4>
          <ul>{sig.kindEvidence.map((e) => <li key={e}>{e}</li>)}</ul>
        </section>
        <section>
          <h4>Who</h4>
          <p data-testid="software">
            {sig.software ? (
              <>
                <strong>
                  {sig.software.name}
                  {sig.software.version ? ` ${sig.software.version}` : ''}
                </strong>{' '}
                <span className="muted">({sig.softwareNote})</span>
              </>
            ) : (
              <span className="muted">Software not seen: {sig.softwareNote}.</span>
            )}
          </p>
          {sig.endedBy === 'endpoint' ? (
            <p className="muted">Closed by the endpoint itself (an application close code): no layer's timeout.</p>
          ) : sig.candidates.length === 0 ? (
            <p className="muted">No known layer has a {sig.nSeconds.toFixed(1)} s timeout: add yours with DROPSCOPE_LAYERS_FILE.</p>
          ) : namedCandidate(sig.candidates) ? (
            <CandidateList sig={sig} />
          ) : (
            // None fits well enough to be named: a default that merely equals N is a coincidence,
            // not a second opinion beside what the layer said of itself.
            <details className="candidates-unnamed" data-testid="unnamed-candidates">
              <summary className="muted">
                Not named: {sig.candidates.length} catalogue layer{sig.candidates.length === 1 ? '' : 's'} with a timeout near {sig.nSeconds.toFixed(1)} s, none fitting this cut
              </summary>
              <CandidateList sig={sig} />
            </details>
          )}
        </section>
        <section>
          <h4>How it ended</h4>
          <p>{endings.map(([k, n]) => `${k} ${n}`).join(' · ')}</p>
          {sig.bothEnds && <p className="muted">Target side: {sig.bothEnds.summary}</p>}
          <p className="muted">
            first <Instant at={sig.firstSeen} /> · last <Instant at={sig.lastSeen} />
          </p>
        </section>
      </div>
      <p className="muted" data-testid="confidence">
        Confidence {sig.confidence.level}: {sig.confidence.reasons.join('; ')}.
        {sig.confidence.raise.length > 0 && ` To be surer: ${sig.confidence.raise.join('; ')}.`}
      </p>
      <details>
        <summary>Paths ({sig.paths.length})</summary>
        <TableExport name={`signature-${sig.key}-paths`} rows={sig.paths.slice(0, 50)} columns={PATH_COLUMNS} />
        <table className="table">
          <thead>
            <tr>
              <th>probe</th><th>target</th><th>proxy</th><th>profile</th><th className="num">reached N</th><th className="num">cut at N</th><th className="num">outlived N</th>
            </tr>
          </thead>
          <tbody>
            {sig.paths.slice(0, 50).map((p) => (
              <tr key={`${p.probe}|${p.target}|${p.proxy}|${p.profile}`} data-hit={p.hits > 0}>
                <td>{p.probe}</td><td>{p.target}</td><td>{p.proxy}</td><td>{p.profile}</td>
                <td className="num">{p.reached}</td><td className="num">{p.hits}</td><td className="num">{p.outlived}</td>
              </tr>
            ))}
          </tbody>
        </table>
      </details>
    </article>
  );
}

/** The fix as an attribute (`heartbeat:10000`), for tests and scripts that compare fixes on one page. */
function CandidateList({ sig }: { sig: Signature }) {
  return (
    <ol className="candidates" data-testid="candidates">
      {sig.candidates.map((c) => (
        <li key={c.layerId}>
          <strong>{c.name}</strong> ({c.basis === 'identity' ? `named by its own header; default ${c.timeoutS} s` : `${c.timeoutS} s`} {c.kind}), score {c.score}
          <div>Change: {c.setting}</div>
          <div className="muted">{c.reasons.join('; ')}</div>
        </li>
      ))}
    </ol>
  );
}

export function fixData(sig: Pick<Signature, 'fix'>): string {
  const f = sig.fix;
  return f.kind === 'heartbeat' ? `heartbeat:${f.intervalMs}` : f.kind === 'reconnect' ? `reconnect:${f.everyMs}` : 'endpoint';
}
