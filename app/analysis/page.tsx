import { FindingsList } from '@/components/analysis/findings-list';
import { SignatureCard } from '@/components/analysis/signature-card';
import { getDatabase, readOptions } from '@/db/client';
import { analysisReport } from '@/db/queries/analysis-report';
import { analysisQuerySchema, DEFAULT_ANALYSIS_RANGE_MS, labelOf } from '@/lib/contracts/analysis-query';
import { layersInUse } from '@/lib/config/layers';
import { describeIssues, fieldIssues } from '@/lib/http/problem';
import { withDatabasePage } from '@/app/database-page';
import { inReportSlot } from '@/lib/http/report-slots';

export const dynamic = 'force-dynamic';

const RANGES = [
  ['15m', 15 * 60_000],
  ['1h', 3_600_000],
  ['6h', 6 * 3_600_000],
  ['24h', 86_400_000],
  ['7d', 7 * 86_400_000],
  ['30d', 30 * 86_400_000],
] as const;

export default withDatabasePage(async function AnalysisPage(props: { searchParams: Promise<Record<string, string | string[] | undefined>> }) {
  const sp = await props.searchParams;
  const { range, ...rest } = sp;
  const parsed = analysisQuerySchema.safeParse(Object.fromEntries(Object.entries(rest).filter(([, v]) => v !== undefined && v !== '')));
  if (!parsed.success) {
    return (
      <div className="banner banner-error" role="alert">
        Bad link: {describeIssues(fieldIssues(parsed.error))}. <a href="/analysis">Analyse the last 24 hours</a>.
      </div>
    );
  }
  const now = new Date();
  const rangeMs = RANGES.find(([k]) => k === range)?.[1] ?? DEFAULT_ANALYSIS_RANGE_MS;
  const to = parsed.data.to ? new Date(parsed.data.to) : now;
  const from = parsed.data.from ? new Date(parsed.data.from) : new Date(to.getTime() - rangeMs);
  const database = getDatabase();
  const report = await inReportSlot(() => analysisReport(database.db, { from, to, probe: parsed.data.probe, proxy: parsed.data.proxy, target: parsed.data.target, label: labelOf(parsed.data), profile: parsed.data.profile }, { now, layers: layersInUse(), ...readOptions(database) }));
  const filters = [parsed.data.probe && `probe ${parsed.data.probe}`, parsed.data.proxy && `proxy ${parsed.data.proxy}`, parsed.data.target && `target ${parsed.data.target}`, parsed.data.label && `label ${parsed.data.label}`, parsed.data.profile && `profile ${parsed.data.profile}`].filter(Boolean);

  return (
    <div className="analysis" data-testid="analysis" data-signatures={report.signatures.length}>
      <div className="overview-bar">
        <h1>Drop analysis</h1>
        <nav className="range-picker" aria-label="Time range">
          {RANGES.map(([k]) => (
            <a key={k} href={`/analysis?${new URLSearchParams({ ...(rest as Record<string, string>), range: k }).toString()}`} aria-current={(range ?? '24h') === k ? 'page' : undefined}>
              {k}
            </a>
          ))}
        </nav>
      </div>
      <p className="muted">
        {report.totalDrops} drops from {from.toISOString().replace('T', ' ').slice(0, 16)} to {to.toISOString().replace('T', ' ').slice(0, 16)} UTC
        {filters.length > 0 && ` · ${filters.join(' · ')}`} · drops closed by the probe itself are not counted
      </p>
      {report.rawSince && (
        <p className="banner" role="note" data-testid="raw-retention">
          Raw sessions before {report.rawSince.replace('T', ' ').slice(0, 16)} UTC are past their retention (DROPSCOPE_RETENTION_RAW): the counts,
          histograms and places below still come from the hourly aggregates, but the drops each signature shows (its members, their headers
          and ends) are only those since then, so a verdict that rests on them may be less sure than it was.
        </p>
      )}
      <h2>Signatures</h2>
      {report.signatures.length === 0 ? (
        <p className="placeholder">
          {report.totalDrops === 0
            ? 'No drops in this range. Point a probe at your targets (README: Probes on edge hosts) or widen the range.'
            : `${report.totalDrops} drops, but none cluster at an exact duration: they look like random loss, not a timeout.`}
        </p>
      ) : (
        report.signatures.map((s) => <SignatureCard key={s.key} sig={s} />)
      )}
      <h2>Other findings</h2>
      <FindingsList findings={report.findings} />
    </div>
  );
});
