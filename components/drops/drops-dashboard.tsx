'use client';
/**
 * The drops page, live: bin width and scale controls, the age and idle histograms with the
 * signatures over them, the endings and close codes, the selected cluster's drops, and the
 * selected bar's drops (`bar=`, lib/drops/bin-sessions.ts). Every control rewrites the URL,
 * so a reload or a shared link shows the same view.
 */
import Link from 'next/link';
import { usePathname, useRouter, useSearchParams } from 'next/navigation';
import { useTransition } from 'react';
import { BIN_CHOICES, type YScale } from '../../lib/drops/query';
import type { ClusterSignature, DropsReport } from '../../lib/drops/report';
import { formatDurationShort } from '../../lib/overview/format';
import { formatBar, parseBar, type BarSelection } from '../../lib/drops/bin-sessions';
import { formatInstant, zoneLabel } from '../../lib/dashboard/time';
import { useTimeZone } from '../dashboard/time-zone';
import { RANGE_PRESETS } from '../../lib/dashboard/scope';
import { parseWindow } from '../../lib/overview/overview';
import { BinSessions } from './bin-sessions';
import { Breakdown } from './breakdown';
import { ClusterTable } from './cluster-table';
import { DropHistogram } from './drop-histogram';
import { closeCodeLabel, END_KIND_LABELS } from './labels';
import { LiveStatusBadge, RefreshError } from '../live/live-status';
import { useLiveDrops } from './use-live-drops';
import styles from './drops.module.css';

export function DropsDashboard({ initial, query }: { initial: DropsReport; query: string }) {
  const { report, status, refreshing, error, retry } = useLiveDrops(initial, query);
  const router = useRouter();
  const pathname = usePathname();
  const params = useSearchParams();
  const [navigating, startTransition] = useTransition();

  const href = (change: Record<string, string | undefined>) => {
    const p = new URLSearchParams(params.toString());
    for (const [k, v] of Object.entries(change)) {
      if (v === undefined) p.delete(k);
      else p.set(k, v);
    }
    const s = p.toString();
    return `${pathname}${s ? `?${s}` : ''}`;
  };
  const go = (change: Record<string, string | undefined>) => startTransition(() => router.push(href(change), { scroll: false }));
  const select = (g: ClusterSignature) => go({ cluster: String(g.nSeconds) });
  // The bar whose drops are listed; a bar of another measure than the two drawn here is ignored.
  const parsedBar = parseBar(params.get('bar'));
  const bar = parsedBar && parsedBar.measure !== 'duration' ? parsedBar : null;
  // Only the client reads `bar`: the URL changes without a server round trip (the report
  // would be computed again for nothing); a reload or a shared link still opens the list.
  const setBar = (b: BarSelection | null) => window.history.pushState(null, '', href({ bar: b ? formatBar(b) : undefined }));
  const selectBar = (b: BarSelection) => setBar(b);
  const tz = useTimeZone();

  const selectedKey = report.cluster?.signature?.key ?? null;
  const ageSigs = report.signatures.filter((g) => g.dimension === 'age');
  const idleSigs = report.signatures.filter((g) => g.dimension === 'idle');
  const span = `${formatInstant(report.scope.from, tz, 'datetime')} – ${formatInstant(report.scope.to, tz, 'datetime')} ${zoneLabel(tz)}`;
  // The path links from the bar's list keep the page's filters and time.
  const pathQuery = (() => {
    const p = new URLSearchParams();
    for (const k of ['range', 'from', 'to', 'probe', 'label', 'profile', 'tz']) {
      const v = params.get(k);
      if (v) p.set(k, v);
    }
    return p.toString();
  })();

  return (
    <div
      className={styles.page}
      data-testid="drops"
      data-socket={status}
      data-total-drops={report.totalDrops}
      data-bin={report.bin}
      data-bin-width-ms={report.binWidthMs}
      data-scale={report.scale}
      data-loading={navigating || refreshing}
      aria-busy={navigating}
    >
      <div className="overview-bar">
        <h1>Drops</h1>
        <LiveStatusBadge status={status} busy={navigating || refreshing} />
      </div>
      <div className={styles.controls} role="group" aria-label="Histogram options">
        <label className={styles.control}>
          bin width{' '}
          <select aria-label="bin width" name="bin" value={report.bin} onChange={(e) => go({ bin: e.target.value === 'auto' ? undefined : e.target.value })}>
            {BIN_CHOICES.map((b) => (
              <option key={b} value={b}>
                {b === 'auto' && report.bin === 'auto' && report.totalDrops > 0 ? `auto (${formatDurationShort(report.binWidthMs)})` : b}
              </option>
            ))}
          </select>
        </label>
        <div className={styles.toggle} role="group" aria-label="y scale">
          {(['linear', 'log'] as YScale[]).map((s) => (
            <button key={s} type="button" aria-pressed={report.scale === s} onClick={() => go({ scale: s === 'linear' ? undefined : s })}>
              {s}
            </button>
          ))}
        </div>
        <span className="muted">
          {report.totalDrops} drops · {span} · sessions closed by the probe itself are not drops
        </span>
      </div>
      <RefreshError error={error} status={status} retry={retry} />
      {report.totalDrops === 0 ? (
        <section className="card" data-testid="drops-empty">
          <h2>No drops in this range</h2>
          <p>
            No canary in this range and these filters ended without its probe closing it. Widen the range (try <Link href={href({ range: '7d', from: undefined, to: undefined })}>7d</Link>
            ), clear the filters, or point a probe at your targets through the proxies you suspect (README: <em>Probes on edge hosts</em>). Idle canaries through a proxy with an idle timeout
            show up here within minutes.
          </p>
        </section>
      ) : (
        <>
          <div className={styles.histograms}>
            <DropHistogram
              id="age"
              measure="age"
              selectedBar={bar?.measure === 'age' ? bar : null}
              onBar={selectBar}
              title="Connection age at the drop"
              note="How long each dropped canary lived. A silent death (pong deadline) is dated by its last byte received. A shaded band is a signature: many drops at the same N."
              histogram={report.age}
              binWidthMs={report.binWidthMs}
              scale={report.scale}
              signatures={ageSigs}
              selectedKey={selectedKey}
              onSelect={select}
              empty="No drops."
            />
            <DropHistogram
              id="idle"
              measure="idle"
              selectedBar={bar?.measure === 'idle' ? bar : null}
              onBar={selectBar}
              title="Idle before the drop"
              note="Silence both ways before the end (the shorter of since-last-received and since-last-sent); silent deaths are left out."
              histogram={report.idle}
              binWidthMs={report.binWidthMs}
              scale={report.scale}
              signatures={idleSigs}
              selectedKey={selectedKey}
              onSelect={select}
              empty="Every drop here was a silent death: idle time unknown."
            />
          </div>
          <section className="card" data-testid="signatures" data-count={report.signatures.length} aria-label="Signatures">
            <header className="card-header">
              <h2>Signatures</h2>
              <span className="card-meta">
                <Link href={`/analysis`}>full analysis →</Link>
              </span>
            </header>
            {report.signaturesIgnoreFilters && <p className={styles.note}>The analysis does not narrow by label or profile: these signatures cover the probe, proxy and target filters only.</p>}
            {report.earlyCloses.length > 0 && (
              <ul className="findings" data-testid="early-closes">
                {report.earlyCloses.map((f) => (
                  <li key={f.title} className={`finding finding-${f.severity}`} data-cause={f.cause}>
                    <div className="finding-title">{f.title}</div>
                    <div>{f.detail}</div>
                    <div>
                      <strong>Fix:</strong> {f.recommendation}
                    </div>
                  </li>
                ))}
              </ul>
            )}
            {report.signatures.length === 0 ? (
              <p className="muted">
                {report.earlyCloses.length > 0
                  ? 'No drop clusters at an exact duration past the first second.'
                  : `${report.totalDrops} drops, but none cluster at an exact duration: they look like random loss, not a timeout.`}
              </p>
            ) : (
              <ul className={styles.sigList}>
                {report.signatures.map((g) => (
                  <li key={g.key}>
                    <Link
                      href={href({ cluster: String(g.nSeconds) })}
                      scroll={false}
                      className={styles.sigLink}
                      aria-current={g.key === selectedKey ? 'true' : undefined}
                      data-testid="signature-link"
                      data-n={g.nSeconds}
                    >
                      <strong>
                        {g.nSeconds.toFixed(1)} s · {g.count} drops
                      </strong>{' '}
                      <span className="muted">({g.dimension === 'age' ? 'age' : 'idle'}, {g.kind})</span>
                      <span className={styles.sigVerdict}>{g.verdict}</span>
                    </Link>
                  </li>
                ))}
              </ul>
            )}
          </section>
          {bar && <BinSessions bar={bar} kind="drops" scopeQuery={listScope(params, report.scope)} clearHref={href({ bar: undefined })} onClose={() => setBar(null)} pathQuery={pathQuery} />}
          {report.cluster && <ClusterTable cluster={report.cluster} clearHref={href({ cluster: undefined })} />}
          <div className={styles.breakdowns}>
            <Breakdown
              id="end-kinds"
              title="How they ended"
              total={report.totalDrops}
              rows={report.endKinds.map((r) => ({ key: r.endKind, label: END_KIND_LABELS[r.endKind], count: r.count }))}
            />
            <Breakdown
              id="close-codes"
              title="Close codes"
              total={report.totalDrops}
              rows={report.closeCodes.map((r) => ({ key: String(r.closeCode ?? 'none'), label: closeCodeLabel(r.closeCode), count: r.count }))}
            />
          </div>
        </>
      )}
    </div>
  );
}

/**
 * The scope of a bar's list: the URL's; when the URL names no range, the preset the page
 * resolved (a fresh install's default is fitted to the data, which the API does not know),
 * kept relative so the list does not refetch on every live refresh.
 */
function listScope(params: URLSearchParams, scope: DropsReport['scope']): string {
  const p = new URLSearchParams(params.toString());
  if (!p.has('range') && !p.has('from') && !p.has('to')) {
    const span = Date.parse(scope.to) - Date.parse(scope.from);
    const preset = RANGE_PRESETS.find((r) => parseWindow(r) === span);
    if (preset) p.set('range', preset);
  }
  return p.toString();
}
