/**
 * docs/grafana/dropscope.json (issue 19) without a Prometheus: the dashboard's shape
 * (schema version, templated data source, the instance/probe/path variables, a grid that
 * fits), the reader that finds every expression (test/helpers/grafana.ts), and that every
 * metric an expression reads is one the server or the probe really exposes, with the type
 * the function applied to it needs. test/lab/grafana.test.ts runs the same expressions
 * through promtool against a real Prometheus scraping a real server and probe.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Registry } from 'prom-client';
import { createProbeMetrics } from '../../agent/metrics';
import type { Reporter } from '../../agent/reporter';
import type { Spool } from '../../agent/spool';
import type { Database } from '../../db/client';
import { openDatabase } from '../../db/open';
import { createLogger } from '../../lib/log';
import { registerAlertMetrics } from '../../server/alerts/metrics';
import { registerLiveMetrics } from '../../server/live-metrics';
import { createServerMetrics } from '../../server/metrics';
import {
  allPanels,
  builtinIntervals,
  dashboardQueries,
  labelValuesToPromQL,
  metricNames,
  readDashboard,
  substitute,
  type Dashboard,
} from '../helpers/grafana';
import { parseInstantJson, PROM_CLIENT_DEFAULT_LINT, scrapeConfig } from '../helpers/prometheus-server';

const dashboard = readDashboard();
const subs = { builtins: builtinIntervals(3600, 15), variables: { instance: '.*', probe: '.*', probe_target: '.*', path: '.*', datasource: 'prometheus' } };

describe('the dashboard reader', () => {
  const panel = (title: string, expr: string) => ({ type: 'timeseries', title, targets: [{ refId: 'A', expr }] });
  const tiny: Dashboard = {
    schemaVersion: 39,
    title: 't',
    panels: [
      { type: 'row', title: 'open row', collapsed: false, panels: [] },
      panel('top', 'up'),
      { type: 'row', title: 'closed row', collapsed: true, panels: [panel('inside', 'dropscope_database_up'), { type: 'row', title: 'nested', panels: [panel('deep', 'time()')] }] },
      { type: 'text', title: 'notes' },
    ],
    templating: { list: [{ name: 'datasource', type: 'datasource', query: 'prometheus' }, { name: 'instance', type: 'query', query: { query: 'label_values(dropscope_database_up, instance)' } }] },
  };

  it('finds the expressions of panels inside collapsed rows, and the variables as PromQL', () => {
    expect(dashboardQueries(tiny)).toEqual([
      { where: 'panel "top" / A', expr: 'up' },
      { where: 'panel "inside" / A', expr: 'dropscope_database_up' },
      { where: 'panel "deep" / A', expr: 'time()' },
      { where: 'variable instance', expr: 'count by (instance) (dropscope_database_up)' },
    ]);
  });

  it('refuses a target without an expression and a variable query it cannot check', () => {
    expect(() => dashboardQueries({ ...tiny, panels: [{ type: 'stat', title: 'empty', targets: [{ refId: 'B', expr: ' ' }] }] })).toThrow('panel "empty": target B has no expr');
    expect(() => labelValuesToPromQL('label_values(instance)')).toThrow('unsupported variable query');
    expect(() => labelValuesToPromQL('query_result(up)')).toThrow('unsupported variable query');
    expect(labelValuesToPromQL('label_values({__name__=~"a|b", job="x"}, path)')).toBe('count by (path) ({__name__=~"a|b", job="x"})');
  });

  it("substitutes Grafana's built-ins and the variables in every syntax, the longest name first", () => {
    const s = { builtins: builtinIntervals(21_600, 15), variables: { probe: 'edge-1', probe_target: '127.0.0.1:9464', instance: '.*' } };
    expect(substitute('rate(x{instance=~"$instance"}[$__rate_interval])', s)).toBe('rate(x{instance=~".*"}[60s])');
    expect(substitute('increase(x[$__range]) / $__range_s', s)).toBe('increase(x[21600s]) / 21600');
    expect(substitute('x{a="$probe", b="${probe_target}", c="${probe:regex}", d="[[probe]]", e="$probe_target"}', s)).toBe(
      'x{a="edge-1", b="127.0.0.1:9464", c="edge-1", d="edge-1", e="127.0.0.1:9464"}',
    );
    expect(() => substitute('x{path=~"$path"}', s)).toThrow('unknown variable $path');
    expect(() => substitute('rate(x[$__nope])', s)).toThrow('unknown variable $__nope');
  });

  it("computes $__rate_interval as Grafana does: at least four scrapes, and the interval plus one scrape", () => {
    expect(builtinIntervals(3600, 15).__rate_interval).toBe('60s');
    expect(builtinIntervals(3600, 1).__rate_interval).toBe('4s');
  });

  it('names the metrics an expression reads, not its functions, labels, keywords or durations', () => {
    expect(metricNames('histogram_quantile(0.95, sum by (path, le) (rate(a_bucket{path=~"x|y", instance=~".*"}[5m]))) * 3600').sort()).toEqual(['a_bucket']);
    expect(metricNames('sum(b_total{result="101"}) / on (instance) sum(c) or vector(0) and time() - d').sort()).toEqual(['b_total', 'c', 'd']);
    expect(metricNames('count by (path) ({__name__=~"e|f_count", instance=~".*"})').sort()).toEqual(['e', 'f_count']);
  });
});

describe('the Prometheus helpers of the lab test', () => {
  it("reads promtool's -o json answers: a vector, a scalar, an empty vector, not JSON", () => {
    expect(parseInstantJson('[{"metric":{"__name__":"up","job":"x"},"value":[1796630197.497,"1"]}]')).toEqual([{ metric: { __name__: 'up', job: 'x' }, value: '1' }]);
    expect(parseInstantJson('[1796630193.654,"1796630193.654"]')).toEqual([{ metric: {}, value: '1796630193.654' }]);
    expect(parseInstantJson('[]')).toEqual([]);
    expect(parseInstantJson('up{job="x"} => 1 @[1796630197.497]')).toBeNull();
  });

  it('allows only the lint findings of prom-client default metric names', () => {
    expect(PROM_CLIENT_DEFAULT_LINT.test('dropscope_nodejs_active_handles_total non-counter metrics should not have "_total" suffix')).toBe(true);
    expect(PROM_CLIENT_DEFAULT_LINT.test('dropscope_probe_nodejs_active_resources_total non-counter metrics should not have "_total" suffix')).toBe(true);
    expect(PROM_CLIENT_DEFAULT_LINT.test('dropscope_probe_plan_fetch_failures_total non-counter metrics should not have "_total" suffix')).toBe(false);
    expect(PROM_CLIENT_DEFAULT_LINT.test('dropscope_drops_total counter metrics should have "_total" suffix')).toBe(false);
  });

  it('writes a scrape configuration with the bearer token only where given', () => {
    const config = JSON.parse(scrapeConfig([{ job: 'dropscope', address: '127.0.0.1:3000', bearerToken: 'dsa_x' }, { job: 'probe', address: '127.0.0.1:9464' }]));
    expect(config.global.scrape_interval).toBe('1s');
    expect(config.scrape_configs).toEqual([
      { job_name: 'dropscope', static_configs: [{ targets: ['127.0.0.1:3000'] }], authorization: { type: 'Bearer', credentials: 'dsa_x' } },
      { job_name: 'probe', static_configs: [{ targets: ['127.0.0.1:9464'] }] },
    ]);
  });
});

describe('docs/grafana/dropscope.json', () => {
  it('is an importable dashboard: schema version 39 or later, a templated Prometheus data source everywhere', () => {
    expect(dashboard.schemaVersion).toBeGreaterThanOrEqual(39);
    expect(dashboard.uid).toBe('dropscope');
    const ds = dashboard.templating.list.find((v) => v.type === 'datasource');
    expect(ds).toMatchObject({ name: 'datasource', query: 'prometheus' });
    for (const p of allPanels(dashboard.panels).filter((p) => p.type !== 'row')) {
      expect(p.datasource, `panel ${p.title}`).toEqual({ type: 'prometheus', uid: '${datasource}' });
      for (const t of p.targets ?? []) expect(t.datasource, `panel ${p.title} ${t.refId}`).toEqual({ type: 'prometheus', uid: '${datasource}' });
    }
    for (const v of dashboard.templating.list.filter((v) => v.type === 'query')) expect((v as unknown as { datasource: unknown }).datasource, v.name).toEqual({ type: 'prometheus', uid: '${datasource}' });
  });

  it('has the instance, probe and path variables, multi-valued with ".*" for All, and every expression uses only variables it defines', () => {
    const vars = dashboard.templating.list.filter((v) => v.type === 'query');
    expect(vars.map((v) => v.name)).toEqual(expect.arrayContaining(['instance', 'probe', 'path']));
    for (const v of vars) expect(v, v.name).toMatchObject({ multi: true, includeAll: true, allValue: '.*' });
    // Multi-valued variables expand to a regex: they must be matched with =~, never =.
    const queries = dashboardQueries(dashboard);
    for (const q of queries) {
      expect(q.expr, q.where).not.toMatch(/[^=!]=\s*"\$/);
      expect(() => substitute(q.expr, subs), q.where).not.toThrow();
    }
  });

  it('covers what issue 19 names: drops by path and ending, upgrade ratio, RTT, spool depth, outbox, alert states, live sessions, ingest, database, process', () => {
    const exprs = dashboardQueries(dashboard).map((q) => q.expr).join('\n');
    for (const needle of [
      /sum by \(path, end_kind\) \(rate\(dropscope_drops_total/,
      /dropscope_upgrade_results_total\{[^}]*result="101"[^}]*\}[^/]*\/ sum\([a-z]+\(dropscope_upgrade_results_total/,
      /histogram_quantile\(0\.95, sum by \(le\) \(rate\(dropscope_rtt_seconds_bucket/,
      /histogram_quantile\(0\.95, sum by \(path, le\) \(rate\(dropscope_probe_rtt_seconds_bucket/,
      /dropscope_probes_spool_depth/,
      /dropscope_probe_spool_depth/,
      /dropscope_webhook_outbox_pending/,
      /dropscope_webhook_delivery_failures_total/,
      /dropscope_alerts\{[^}]*silenced="false"/,
      /dropscope_sessions_live/,
      /dropscope_ingest_events_total/,
      /dropscope_ingest_duration_seconds_bucket/,
      /dropscope_database_up/,
      /dropscope_process_cpu_seconds_total/,
      /dropscope_probe_process_resident_memory_bytes/,
    ]) {
      expect(exprs).toMatch(needle);
    }
  });

  it('lays panels on the 24-column grid without overlaps, with unique ids', () => {
    const panels = allPanels(dashboard.panels);
    const ids = panels.map((p) => p.id);
    expect(new Set(ids).size).toBe(ids.length);
    const cells = new Map<string, string>();
    for (const p of panels) {
      const g = p.gridPos!;
      expect(g.x + g.w, p.title).toBeLessThanOrEqual(24);
      for (let x = g.x; x < g.x + g.w; x++) {
        for (let y = g.y; y < g.y + g.h; y++) {
          const key = `${x},${y}`;
          expect(cells.get(key), `${p.title} overlaps ${cells.get(key)} at ${key}`).toBeUndefined();
          cells.set(key, p.title ?? '');
        }
      }
    }
  });

  describe('reads only metrics dropscope exposes, with the right types', () => {
    let database: Database;
    const types = new Map<string, string>();
    beforeAll(async () => {
      database = await openDatabase({ kind: 'pglite', dataDir: 'memory://' });
      const log = createLogger({ level: 'silent' });
      const server = createServerMetrics(database, log);
      registerAlertMetrics(server, database, log);
      registerLiveMetrics(server);
      const spool = { depth: () => 0, droppedEvents: () => 0, health: () => ({ writable: true, memoryEvents: 0, lostEvents: 0 }) } as unknown as Spool;
      const reporter = { stats: () => ({ sent: 0, failures: 0, deadLettered: 0, unauthorized: false, isolations: 0 }) } as unknown as Reporter;
      const probe = createProbeMetrics({ runner: () => undefined, spool, reporter }).registry;
      for (const registry of [server, probe] as Registry[]) for (const m of await registry.getMetricsAsJSON()) types.set(m.name, String(m.type));
    });
    afterAll(() => database?.close());

    /** A series name's metric and type: a histogram's _bucket, _sum and _count belong to it. */
    const typeOf = (series: string): string | undefined => {
      if (types.has(series)) return types.get(series);
      const base = series.replace(/_(bucket|sum|count)$/, '');
      return types.get(base) === 'histogram' || types.get(base) === 'summary' ? `${types.get(base)}${series.slice(base.length)}` : undefined;
    };

    it('every metric name an expression reads exists on the server or the probe', () => {
      expect(types.size).toBeGreaterThan(30);
      for (const q of dashboardQueries(dashboard)) {
        for (const name of metricNames(substitute(q.expr, subs))) expect(typeOf(name), `${q.where}: ${name}`).toBeDefined();
      }
    });

    it('rate and increase only on counters and histogram series, histogram_quantile only on buckets, deriv only on gauges', () => {
      let checked = 0;
      for (const q of dashboardQueries(dashboard)) {
        const e = substitute(q.expr, subs);
        for (const m of e.matchAll(/\b(rate|irate|increase|deriv|histogram_quantile)\((?:[\d.]+,\s*sum by \([^)]*\) \(rate\()?([a-z_:][a-z0-9_:]*)/g)) {
          const [, fn, metric] = m;
          const t = typeOf(metric!);
          checked++;
          if (fn === 'histogram_quantile') expect(t, `${q.where}: ${metric}`).toBe('histogram_bucket');
          else if (fn === 'deriv') expect(t, `${q.where}: ${metric}`).toBe('gauge');
          else expect(['counter', 'histogram_bucket', 'histogram_sum', 'histogram_count'], `${q.where}: ${fn}(${metric})`).toContain(t);
        }
      }
      expect(checked).toBeGreaterThan(25);
    });
  });
});
