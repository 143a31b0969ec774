/**
 * Reading docs/grafana/dropscope.json as Grafana would, to check it with Prometheus' own
 * tools (issue 19): every PromQL expression of the dashboard (panels inside rows, collapsed
 * or not, and the template variables' `label_values` queries), with Grafana's variables
 * replaced by concrete values, so `promtool` can parse and run each one.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';

export const DASHBOARD_FILE = path.resolve(__dirname, '../../docs/grafana/dropscope.json');

/** The parts of Grafana's dashboard model this reads. */
export interface DashboardPanel {
  id?: number;
  type: string;
  title?: string;
  datasource?: { type?: string; uid?: string } | null;
  gridPos?: { h: number; w: number; x: number; y: number };
  collapsed?: boolean;
  panels?: DashboardPanel[];
  targets?: { expr?: string; refId?: string; datasource?: { type?: string; uid?: string } }[];
}
export interface DashboardVariable {
  name: string;
  type: string;
  query?: string | { query?: string };
  allValue?: string;
  multi?: boolean;
  includeAll?: boolean;
}
export interface Dashboard {
  schemaVersion: number;
  title: string;
  uid?: string;
  panels: DashboardPanel[];
  templating: { list: DashboardVariable[] };
}

export function readDashboard(file = DASHBOARD_FILE): Dashboard {
  return JSON.parse(readFileSync(file, 'utf8')) as Dashboard;
}

/** One PromQL expression of the dashboard and where it is. */
export interface DashboardQuery {
  /** "panel <title> / <refId>" or "variable <name>". */
  where: string;
  /** As written in the dashboard, with Grafana's variables. */
  expr: string;
}

/** Every panel, depth first: rows' own `panels` (a collapsed row keeps its panels inside). */
export function allPanels(panels: readonly DashboardPanel[]): DashboardPanel[] {
  return panels.flatMap((p) => [p, ...allPanels(p.panels ?? [])]);
}

/** Every panel target's expression, and every query variable's query as PromQL (see labelValuesToPromQL). */
export function dashboardQueries(dashboard: Dashboard): DashboardQuery[] {
  const out: DashboardQuery[] = [];
  for (const p of allPanels(dashboard.panels)) {
    for (const t of p.targets ?? []) {
      if (t.expr === undefined || t.expr.trim() === '') throw new Error(`panel ${JSON.stringify(p.title)}: target ${t.refId ?? '?'} has no expr`);
      out.push({ where: `panel ${JSON.stringify(p.title)} / ${t.refId ?? '?'}`, expr: t.expr });
    }
  }
  for (const v of dashboard.templating.list) {
    if (v.type !== 'query') continue;
    const q = typeof v.query === 'string' ? v.query : v.query?.query;
    if (!q) throw new Error(`variable ${v.name}: no query`);
    out.push({ where: `variable ${v.name}`, expr: labelValuesToPromQL(q) });
  }
  return out;
}

/**
 * A Prometheus data source variable's `label_values(selector, label)` as the PromQL whose
 * result holds those values: `count by (label) (selector)`. `label_values(label)` alone (every
 * series) and the other functions (`metrics()`, `query_result()`) are refused: the dashboard
 * does not use them, and they cannot be checked the same way.
 */
export function labelValuesToPromQL(query: string): string {
  const m = /^\s*label_values\(\s*(.+?)\s*,\s*([a-zA-Z_][a-zA-Z0-9_]*)\s*\)\s*$/s.exec(query);
  if (!m) throw new Error(`unsupported variable query (expected label_values(selector, label)): ${query}`);
  return `count by (${m[2]}) (${m[1]})`;
}

/** Values for Grafana's built-in interval variables and the dashboard's own (a regex for an "All"). */
export interface Substitutions {
  /** `$__rate_interval`, `$__interval`, `$__range` etc. as PromQL durations, e.g. { __rate_interval: '1m' }. */
  builtins: Record<string, string>;
  /** The dashboard's variables by name; with multi-value variables matched with =~, ".*" is "All". */
  variables: Record<string, string>;
}

/** Grafana's built-ins for a dashboard over `rangeSeconds` scraped every `scrapeSeconds`. */
export function builtinIntervals(rangeSeconds: number, scrapeSeconds: number): Record<string, string> {
  const interval = Math.max(scrapeSeconds, 1);
  // Grafana: $__rate_interval = max($__interval + scrape interval, 4 × scrape interval).
  const rate = Math.max(interval + scrapeSeconds, 4 * scrapeSeconds);
  return {
    __rate_interval: `${rate}s`,
    __interval: `${interval}s`,
    __interval_ms: String(interval * 1000),
    __range: `${rangeSeconds}s`,
    __range_s: String(rangeSeconds),
    __range_ms: String(rangeSeconds * 1000),
  };
}

/**
 * Replace Grafana's variable syntaxes — `$name`, `${name}`, `${name:format}`, `[[name]]` —
 * by their values. A variable the substitutions do not know is an error naming it: a panel
 * using a variable the dashboard does not define would show nothing in Grafana.
 */
export function substitute(expr: string, subs: Substitutions): string {
  return expr.replace(/\$\{([A-Za-z_][A-Za-z0-9_]*)(?::[A-Za-z]+)?\}|\$([A-Za-z_][A-Za-z0-9_]*)|\[\[([A-Za-z_][A-Za-z0-9_]*)\]\]/g, (all, braced?: string, bare?: string, brackets?: string) => {
    const name = (braced ?? bare ?? brackets)!;
    const value = name.startsWith('__') ? subs.builtins[name] : subs.variables[name];
    if (value === undefined) throw new Error(`unknown variable ${all} in: ${expr}`);
    return value;
  });
}

/**
 * The metric names an expression reads: identifiers followed by a selector, a range or an
 * operator, and the alternatives of a `__name__=~"a|b"` matcher. PromQL keywords and
 * functions are not metric names (they are followed by "(" or are known words).
 */
export function metricNames(expr: string): string[] {
  const names = new Set<string>();
  const withoutStrings = expr.replace(/"(?:[^"\\]|\\.)*"/g, '""');
  for (const m of expr.matchAll(/__name__\s*=~?\s*"([^"]*)"/g)) for (const n of m[1]!.split('|')) names.add(n);
  const KEYWORDS = new Set(['by', 'without', 'on', 'ignoring', 'group_left', 'group_right', 'and', 'or', 'unless', 'offset', 'bool', 'inf', 'nan']);
  // Label names inside {...} and by (...) are not metrics: drop braces' contents and grouping lists.
  const bare = withoutStrings.replace(/\{[^}]*\}/g, ' ').replace(/\b(by|without|on|ignoring|group_left|group_right)\s*\([^)]*\)/g, ' ');
  for (const m of bare.matchAll(/(?<![A-Za-z0-9_:.])([A-Za-z_:][A-Za-z0-9_:]*)(?![A-Za-z0-9_:])(?!\s*\()/g)) {
    const word = m[1]!;
    if (KEYWORDS.has(word.toLowerCase())) continue;
    names.add(word);
  }
  return [...names];
}

/** One dashboard expression run against a Prometheus: what promtool answered. */
export interface QueryOutcome extends DashboardQuery {
  /** The expression with the variables substituted, as run. */
  ran: string;
  status: number | null;
  stderr: string;
  /** Samples in the answer; null when promtool failed or printed something else than JSON. */
  samples: number | null;
}

/**
 * Run every expression of `dashboard` through `query` (promtool, in the lab) with `subs`,
 * one at a time. An answer without samples is asked again, up to `retries` times `retryMs`
 * apart: one scrape that timed out on a loaded machine marks a target's series stale until
 * the next. Returns every outcome; the caller decides which must have answered with samples.
 */
export async function runDashboardQueries(
  dashboard: Dashboard,
  subs: Substitutions,
  query: (expr: string) => Promise<{ status: number | null; stderr: string; samples: unknown[] | null }>,
  options: { retries?: number; retryMs?: number } = {},
): Promise<QueryOutcome[]> {
  const out: QueryOutcome[] = [];
  for (const q of dashboardQueries(dashboard)) {
    const ran = substitute(q.expr, subs);
    let r = await query(ran);
    for (let i = 0; i < (options.retries ?? 0) && r.status === 0 && (r.samples?.length ?? 0) === 0; i++) {
      await new Promise((resolve) => setTimeout(resolve, options.retryMs ?? 1000));
      r = await query(ran);
    }
    out.push({ ...q, ran, status: r.status, stderr: r.stderr, samples: r.samples?.length ?? null });
  }
  return out;
}
