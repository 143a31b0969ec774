/**
 * A real Prometheus (Debian's /usr/bin/prometheus) for lab tests, and promtool run against
 * it: started on a free loopback port with a temporary configuration and TSDB, scraping the
 * given targets every second, stopped by its PID. Used by test/lab/grafana.test.ts to run
 * every expression of docs/grafana/dropscope.json against real scrapes.
 */
import { execFile, spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { until } from './agent';
import { freePort } from './ports';
import { childEnv, stopChild } from './server';

export const PROMETHEUS = '/usr/bin/prometheus';
export const PROMTOOL = '/usr/bin/promtool';

export interface ScrapeTarget {
  job: string;
  /** host:port */
  address: string;
  /** Sent as `Authorization: Bearer` (dropscope's /metrics takes a viewer API token). */
  bearerToken?: string;
}

export interface RunningPrometheus {
  url: string;
  pid: number;
  output(): string;
  /** The active targets' health by job, from GET /api/v1/targets. */
  targets(): Promise<{ job: string; health: string; lastError: string; scrapeUrl: string }[]>;
  stop(): Promise<void>;
}

export function assertPrometheusInstalled(): void {
  for (const bin of [PROMETHEUS, PROMTOOL]) if (!existsSync(bin)) throw new Error(`${bin} is missing: apt-get install prometheus`);
}

/** Prometheus's scrape configuration for `targets`, every `intervalSeconds`, as YAML (JSON is YAML). */
export function scrapeConfig(targets: readonly ScrapeTarget[], intervalSeconds = 1): string {
  return JSON.stringify({
    global: { scrape_interval: `${intervalSeconds}s`, evaluation_interval: `${intervalSeconds}s`, scrape_timeout: `${intervalSeconds}s` },
    scrape_configs: targets.map((t) => ({
      job_name: t.job,
      static_configs: [{ targets: [t.address] }],
      ...(t.bearerToken && { authorization: { type: 'Bearer', credentials: t.bearerToken } }),
    })),
  });
}

export async function startPrometheus(targets: readonly ScrapeTarget[], intervalSeconds = 1): Promise<RunningPrometheus> {
  assertPrometheusInstalled();
  const dir = mkdtempSync(path.join(tmpdir(), 'dropscope-prometheus-'));
  const config = path.join(dir, 'prometheus.yml');
  writeFileSync(config, scrapeConfig(targets, intervalSeconds));
  const port = await freePort();
  const child: ChildProcess = spawn(
    PROMETHEUS,
    [`--config.file=${config}`, `--storage.tsdb.path=${path.join(dir, 'data')}`, `--web.listen-address=127.0.0.1:${port}`, '--log.level=warn'],
    { stdio: ['ignore', 'pipe', 'pipe'], env: childEnv() },
  );
  let out = '';
  child.stdout!.on('data', (c: Buffer) => (out += c));
  child.stderr!.on('data', (c: Buffer) => (out += c));
  const url = `http://127.0.0.1:${port}`;
  const stop = async () => {
    await stopChild(child);
    rmSync(dir, { recursive: true, force: true });
  };
  try {
    await until(
      'prometheus ready',
      async () => {
        if (child.exitCode !== null) throw new Error(`prometheus exited with ${child.exitCode}:\n${out}`);
        return (await fetch(`${url}/-/ready`)).ok;
      },
      30_000,
    );
  } catch (err) {
    await stop();
    throw new Error(`prometheus did not become ready: ${(err as Error).message}\n${out}`);
  }
  return {
    url,
    pid: child.pid!,
    output: () => out,
    async targets() {
      const res = await fetch(`${url}/api/v1/targets?state=active`);
      const body = (await res.json()) as { data: { activeTargets: { labels: { job: string }; health: string; lastError: string; scrapeUrl: string }[] } };
      return body.data.activeTargets.map((t) => ({ job: t.labels.job, health: t.health, lastError: t.lastError, scrapeUrl: t.scrapeUrl }));
    },
    stop,
  };
}

/** What `promtool query instant -o json` printed, parsed. */
export interface InstantResult {
  status: number | null;
  stderr: string;
  /** The result vector's samples (or one scalar as a sample without labels); null when not JSON. */
  samples: { metric: Record<string, string>; value: string }[] | null;
}

/**
 * `promtool query instant -o json <url> <expr>`, as a user checking a dashboard would.
 * Asynchronous: the test process may serve things Prometheus scrapes or dropscope delivers to.
 */
export function promtoolQuery(url: string, expr: string): Promise<InstantResult> {
  return new Promise((resolve) => {
    execFile(PROMTOOL, ['query', 'instant', '-o', 'json', url, expr], { encoding: 'utf8', timeout: 30_000 }, (err, stdout, stderr) => {
      const status = err ? (typeof err.code === 'number' ? err.code : null) : 0;
      resolve({ status, stderr: `${stderr}${err && typeof err.code !== 'number' ? String(err) : ''}`, samples: status === 0 ? parseInstantJson(stdout) : null });
    });
  });
}

/**
 * promtool's `-o json` prints the query's result as the API's `data.result`: an array of
 * `{metric, value: [t, "v"]}` for a vector, or `[t, "v"]` for a scalar.
 */
export function parseInstantJson(stdout: string): { metric: Record<string, string>; value: string }[] | null {
  let parsed: unknown;
  try {
    parsed = JSON.parse(stdout);
  } catch {
    return null;
  }
  if (Array.isArray(parsed) && parsed.length === 2 && typeof parsed[1] === 'string' && !Array.isArray(parsed[0])) return [{ metric: {}, value: parsed[1] }];
  if (!Array.isArray(parsed)) return null;
  return parsed.map((s: { metric?: Record<string, string>; value?: [number, string] }) => ({ metric: s.metric ?? {}, value: s.value?.[1] ?? '' }));
}

/** `promtool check metrics` on an exposition text: its exit code (0 clean, 3 lint problems, 1 errors) and what it printed. */
export function promtoolCheckMetrics(text: string): { status: number | null; problems: string[] } {
  const r = spawnSync(PROMTOOL, ['check', 'metrics'], { input: text, encoding: 'utf8', timeout: 30_000 });
  const problems = `${r.stdout}${r.stderr}`
    .split('\n')
    .map((l) => l.trim())
    .filter(Boolean);
  return { status: r.status, problems };
}

/**
 * Lint findings that come from prom-client's default Node.js metrics, whose names we do not
 * choose: `nodejs_active_{handles,requests,resources}_total` are gauges with a counter's
 * suffix. Anything else promtool says about our scrapes is a finding.
 */
export const PROM_CLIENT_DEFAULT_LINT = /^dropscope_(probe_)?nodejs_active_(handles|requests|resources)_total non-counter metrics should not have "_total" suffix$/;
