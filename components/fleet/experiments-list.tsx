/**
 * The experiments the server asks of probes through their plans (issue 18), read-only: the
 * scheduler makes them from the analysis (verify a signature's fix, L4 or L7 by TCP
 * keepalive, a reconnect schedule) and each probe runs its own beside its paths. What they
 * found is on the analysis page; this says what was asked, where, and whether it still runs.
 */
import type { ExportColumn } from '../../lib/dashboard/table-export';
import { TableExport } from '../dashboard/table-export';
import { Instant } from '../dashboard/time-zone';
import css from './fleet.module.css';

/** One experiment as GET /api/v1/plan/experiments answers it (db/queries/experiments.ts ExperimentView). */
export interface ExperimentWire {
  id: number;
  probe: string;
  target: string;
  proxy: string;
  kind: 'verify' | 'reconnect' | 'keepalive';
  /** The profile as the probe's plan carries it (durations like "30s"). */
  profile: { name: string; kind: string; [setting: string]: unknown };
  canaries: number;
  purpose: string;
  signature: { key: string; nMs: number; kind: string };
  state: 'running' | 'concluded' | 'expired';
  createdAt: string;
  expiresAt: string;
  concludedAt: string | null;
}

const KIND: Record<ExperimentWire['kind'], string> = {
  verify: 'verify the heartbeat',
  reconnect: 'verify the reconnect schedule',
  keepalive: 'L4 or L7 (TCP keepalive)',
};

/** "heartbeat every 30s, answer within 10s, held 225s"; "silent 113s, TCP keepalive every 25s". */
function settings(p: ExperimentWire['profile']): string {
  const v = (key: string) => String(p[key]);
  switch (p.kind) {
    case 'heartbeat':
      return `heartbeat every ${v('interval')}, answer within ${v('timeout')}${p.hold !== undefined ? `, held ${v('hold')}` : ''}`;
    case 'keepalive':
      return `silent ${v('gap')}, TCP keepalive every ${v('keepalive')}, answer within ${v('timeout')}`;
    default:
      return p.kind;
  }
}

/** The export: the table's columns with raw values (ISO instants, the profile as its settings in words). */
export const EXPERIMENT_EXPORT_COLUMNS: readonly ExportColumn<ExperimentWire>[] = [
  { header: 'id', value: (x) => x.id },
  { header: 'probe', value: (x) => x.probe },
  { header: 'target', value: (x) => x.target },
  { header: 'proxy', value: (x) => x.proxy },
  { header: 'kind', value: (x) => x.kind },
  { header: 'signature', value: (x) => x.signature.key },
  { header: 'profile', value: (x) => x.profile.name },
  { header: 'settings', value: (x) => settings(x.profile) },
  { header: 'canaries', value: (x) => x.canaries },
  { header: 'purpose', value: (x) => x.purpose },
  { header: 'state', value: (x) => x.state },
  { header: 'created', value: (x) => x.createdAt },
  { header: 'expires', value: (x) => x.expiresAt },
  { header: 'concluded', value: (x) => x.concludedAt },
];

function State({ x }: { x: ExperimentWire }) {
  if (x.state === 'running') {
    return (
      <span className={css.running}>
        <span aria-hidden="true">●</span> running
      </span>
    );
  }
  return (
    <span className={css.disabled}>
      <span aria-hidden="true">○</span> {x.state}
      {x.concludedAt && (
        <span className={css.sub}>
          <Instant at={x.concludedAt} />
        </span>
      )}
    </span>
  );
}

export function ExperimentsList({ experiments }: { experiments: readonly ExperimentWire[] }) {
  const running = experiments.filter((x) => x.state === 'running').length;
  return (
    <section className={css.section} aria-labelledby="fleet-experiments-title" data-testid="fleet-experiments">
      <div className={css.sectionHeader}>
        <h2 id="fleet-experiments-title">Experiments</h2>
        <TableExport name="experiments" rows={experiments} columns={EXPERIMENT_EXPORT_COLUMNS} />
      </div>
      <p className={css.note}>
        Canaries the server asks of the probes that see a drop signature, to try its fix: each runs on a target and proxy the probe already runs, until one session concludes or it
        expires. {running} running.
      </p>
      {experiments.length === 0 ? (
        <p className={css.note}>No experiment yet: the server asks for them once the analysis finds an idle or lifetime signature.</p>
      ) : (
        <div className={css.scroll}>
          <table className={css.table} data-rows={experiments.length}>
            <caption className="sr-only">Experiments</caption>
            <thead>
              <tr>
                <th scope="col">probe</th>
                <th scope="col">path</th>
                <th scope="col">experiment</th>
                <th scope="col">profile</th>
                <th scope="col">purpose</th>
                <th scope="col">state</th>
                <th scope="col">created</th>
                <th scope="col">expires</th>
              </tr>
            </thead>
            <tbody>
              {experiments.map((x) => (
                <tr key={x.id} data-testid="fleet-experiment-row" data-experiment-id={x.id} data-kind={x.kind} data-state={x.state} data-probe={x.probe}>
                  <th scope="row">{x.probe}</th>
                  <td>
                    {x.target} · {x.proxy}
                  </td>
                  <td>
                    {KIND[x.kind]}
                    <span className={css.sub}>
                      #{x.id} · signature {x.signature.key}
                    </span>
                  </td>
                  <td>
                    <span className={css.label}>{x.profile.name}</span>
                    <span className={css.sub}>
                      {settings(x.profile)}
                      {x.canaries > 1 && ` · ${x.canaries} canaries`}
                    </span>
                  </td>
                  <td>{x.purpose}</td>
                  <td>
                    <State x={x} />
                  </td>
                  <td>
                    <Instant at={x.createdAt} />
                  </td>
                  <td>
                    <Instant at={x.expiresAt} />
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
    </section>
  );
}
