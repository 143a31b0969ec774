import type { Metadata } from 'next';
import { FindingsList } from '@/components/analysis/findings-list';
import { SignatureCard } from '@/components/analysis/signature-card';
import { IgnoredParams } from '@/components/dashboard/query-notice';
import { ScopeBar } from '@/components/dashboard/scope-bar';
import { Instant } from '@/components/dashboard/time-zone';
import { ZoneName } from '@/components/dashboard/zone-name';
import { BadLink } from '@/components/paths/no-probes';
import { getDatabase, readOptions } from '@/db/client';
import { analysisReport } from '@/db/queries/analysis-report';
import { earliestDataHint } from '@/db/queries/earliest-data';
import { scopeOptions } from '@/db/queries/scope';
import { layersInUse } from '@/lib/config/layers';
import { knownQueryString, parseScopedQuery } from '@/lib/dashboard/query-params';
import { dashboardScopeSchema, fittedRange, resolveScope } from '@/lib/dashboard/scope';
import { describeIssues } from '@/lib/http/problem';
import { searchParamsInput } from '@/lib/http/search-params';
import { withDatabasePage } from '@/app/database-page';
import { inReportSlot } from '@/lib/http/report-slots';

export const dynamic = 'force-dynamic';

export const metadata: Metadata = { title: 'Analysis' };

export default withDatabasePage(async function AnalysisPage(props: { searchParams: Promise<Record<string, string | string[] | undefined>> }) {
  const now = new Date();
  // The same scope as every other page (range presets, from/to, filters, tz), and the same limits.
  const parsed = parseScopedQuery(dashboardScopeSchema, searchParamsInput(await props.searchParams), now);
  if (!parsed.success) return <BadLink message={describeIssues(parsed.issues)} reset={{ href: '/analysis', label: 'Analyse the last 24 hours' }} />;
  const database = getDatabase();
  const db = database.db;
  const earliestData = await earliestDataHint(db, now);
  const scope = resolveScope(parsed.data, now, { earliestData });
  const [report, options] = [await inReportSlot(() => analysisReport(db, scope, { now, layers: layersInUse(), ...readOptions(database) })), await scopeOptions(db)];
  const filters = [scope.probe && `probe ${scope.probe}`, scope.proxy && `proxy ${scope.proxy}`, scope.target && `target ${scope.target}`, scope.label && `label ${scope.label.key}=${scope.label.value}`, scope.profile && `profile ${scope.profile}`].filter(Boolean);

  return (
    <div className="analysis" data-testid="analysis" data-signatures={report.signatures.length}>
      <IgnoredParams ignored={parsed.ignored} cleanHref={`/analysis${knownQueryString(parsed.known)}`} />
      <div className="overview-bar">
        <h1>Drop analysis</h1>
      </div>
      <ScopeBar options={{ ...options, defaultRange: fittedRange(earliestData, now) }} />
      <p className="muted">
        {report.totalDrops} drops from <Instant at={scope.from} style="datetime" /> to <Instant at={scope.to} style="datetime" /> <ZoneName />
        {filters.length > 0 && ` · ${filters.join(' · ')}`} · drops closed by the probe itself are not counted
      </p>
      {report.rawSince && (
        <p className="banner" role="note" data-testid="raw-retention">
          Raw sessions before <Instant at={report.rawSince} style="datetime" /> <ZoneName /> are past their retention (DROPSCOPE_RETENTION_RAW): the counts, histograms and places below still come from
          the hourly aggregates, but the drops each signature shows (its members, their headers and ends) are only those since then, so a verdict that rests on them may be less sure than
          it was.
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
