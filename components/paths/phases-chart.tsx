'use client';
/**
 * Dial phases stacked: the median attempt and the p95 attempt, phase by phase, with the
 * figures as a table (exportable). Not a chart over time, so no brush-to-zoom here.
 */
import { Bar, BarChart, CartesianGrid, Legend, Tooltip, XAxis, YAxis } from 'recharts';
import { PHASES, type PhaseStat } from '../../lib/paths/types';
import type { ExportColumn } from '../../lib/dashboard/table-export';
import { TableExport } from '../dashboard/table-export';
import { ms } from './format';
import css from './paths.module.css';

const LABEL = { dns: 'DNS', tcp: 'TCP', proxy: 'proxy', tls: 'TLS', upgrade: 'upgrade' } as const;

/** The table's columns, raw: milliseconds as numbers (null without a sample). */
export const PHASE_EXPORT_COLUMNS: readonly ExportColumn<PhaseStat>[] = [
  { header: 'phase', value: (p) => p.phase },
  { header: 'medianMs', value: (p) => p.p50Ms },
  { header: 'p95Ms', value: (p) => p.p95Ms },
  { header: 'attempts', value: (p) => p.count },
];

export function PhasesChart({ phases }: { phases: PhaseStat[] }) {
  const recorded = phases.filter((p) => p.count > 0);
  const row = (name: string, pick: (p: PhaseStat) => number | null) => ({ name, ...Object.fromEntries(phases.map((p) => [p.phase, pick(p) ?? 0])) });
  const rows = [row('median', (p) => p.p50Ms), row('p95', (p) => p.p95Ms)];
  return (
    <section className={`card ${css.charts}`} aria-label="Dial phases" data-testid="phases-chart" data-phases={recorded.length}>
      <header className="card-header">
        <h2>Dial phases</h2>
        <div className="card-meta">
          per phase, over the attempts that went through it <TableExport name="dial-phases" rows={phases} columns={PHASE_EXPORT_COLUMNS} />
        </div>
      </header>
      {recorded.length === 0 ? (
        <p className={css.placeholder}>No dial timings in this range.</p>
      ) : (
        <>
          <BarChart responsive layout="vertical" data={rows} style={{ width: '100%', height: 150 }} margin={{ top: 4, right: 12, bottom: 4, left: 0 }}>
            <CartesianGrid horizontal={false} stroke="var(--grid)" />
            <XAxis type="number" tickFormatter={(v: number) => `${Math.round(v)} ms`} stroke="var(--muted)" tick={{ fill: 'var(--muted)', fontSize: 12 }} />
            <YAxis type="category" dataKey="name" width={56} stroke="var(--muted)" tick={{ fill: 'var(--muted)', fontSize: 12 }} />
            <Tooltip formatter={(v) => ms(Number(v))} contentStyle={{ background: 'var(--surface)', border: '1px solid var(--border)', fontSize: 12 }} cursor={{ fill: 'var(--hover)' }} />
            <Legend wrapperStyle={{ fontSize: 12 }} />
            {PHASES.filter((p) => phases.find((x) => x.phase === p)!.count > 0).map((p) => (
              <Bar key={p} dataKey={p} name={LABEL[p]} stackId="dial" fill={`var(--phase-${p})`} isAnimationActive={false} />
            ))}
          </BarChart>
          <table className="table">
            <thead>
              <tr>
                <th scope="col">phase</th>
                <th scope="col" className="num">median</th>
                <th scope="col" className="num">p95</th>
                <th scope="col" className="num">attempts</th>
              </tr>
            </thead>
            <tbody>
              {phases.map((p) => (
                <tr key={p.phase}>
                  <th scope="row">{LABEL[p.phase]}</th>
                  <td className="num">{ms(p.p50Ms)}</td>
                  <td className="num">{ms(p.p95Ms)}</td>
                  <td className="num">{p.count}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </>
      )}
    </section>
  );
}
