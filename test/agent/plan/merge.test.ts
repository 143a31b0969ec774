import { describe, expect, it } from 'vitest';
import { BUILTIN_PROFILES, toProxyConfig, type PlannedCanary } from '../../../agent/config';
import { mergePlans } from '../../../agent/plan/merge';
import { buildPlanStatus } from '../../../agent/plan/status';
import type { PathOutcome } from '../../../agent/plan/server-plan';
import { MAX_STATUS_BYTES, MAX_STATUS_PATHS, planStatusSchema } from '../../../lib/contracts/plan';

const target = { name: 'app', url: 'ws://127.0.0.1:9/', headers: {}, subprotocols: [], tls: { verify: true } };
const slot = (n: number, over: Partial<PlannedCanary> = {}): PlannedCanary => ({
  key: `app|direct|idle|${n}`,
  target,
  proxy: toProxyConfig({ name: 'direct', url: 'direct' }),
  profile: BUILTIN_PROFILES[0]!,
  profileLabel: 'idle',
  ...over,
});

describe('mergePlans', () => {
  it('is the union by key, local first; a slot both name is the local one', () => {
    const local = [slot(0)];
    const server = [slot(0, { source: 'server', pathId: 3 }), slot(1, { source: 'server', pathId: 3 })];
    const merged = mergePlans(local, server);
    expect(merged.map((c) => [c.key, c.source ?? 'local'])).toEqual([['app|direct|idle|0', 'local'], ['app|direct|idle|1', 'server']]);
    expect(mergePlans([], server)).toEqual(server);
    expect(mergePlans(local, [])).toEqual(local);
  });
});

describe('buildPlanStatus', () => {
  const outcome = (over: Partial<PathOutcome> = {}): PathOutcome => ({ source: 'server', id: 3, target: 'app', proxy: 'direct', profile: 'idle', canaries: 2, units: ['app|direct|idle'], state: 'running', ...over });

  it('stays within what the server takes: reasons and fields cut to its bounds, paths to its body limit', () => {
    const long = 'x'.repeat(3000);
    const outcomes = Array.from({ length: MAX_STATUS_PATHS }, (_, i) =>
      outcome({ id: i + 1, target: 't'.repeat(64), proxy: 'p'.repeat(64), canaries: 0, units: [], state: 'unconfigured', reason: long, field: long }),
    );
    const report = buildPlanStatus({ appliedVersion: null, local: [], outcomes, counts: new Map() });
    expect(planStatusSchema.safeParse(report).error?.issues ?? []).toEqual([]);
    expect(Buffer.byteLength(JSON.stringify(report))).toBeLessThanOrEqual(MAX_STATUS_BYTES);
    expect(report.truncated).toBe(true);
    expect(report.paths.length).toBeGreaterThan(100);
    expect(report.paths.length).toBeLessThan(MAX_STATUS_PATHS);
  });

  it('counts each path from its units, server paths first, local ones by target × proxy × profile with rungs summed', () => {
    const ladder = BUILTIN_PROFILES.find((p) => p.name === 'ladder')!;
    const local = [slot(0, { key: 'app|direct|ladder/15s|0', profile: ladder, profileLabel: 'ladder/15s', gapMs: 15_000 }), slot(0, { key: 'app|direct|ladder/30s|0', profile: ladder, profileLabel: 'ladder/30s', gapMs: 30_000 })];
    const counts = new Map([
      ['app|direct|idle', { open: 1, connecting: 1, backoff: 0 }],
      ['app|direct|ladder/15s', { open: 1, connecting: 0, backoff: 0 }],
      ['app|direct|ladder/30s', { open: 0, connecting: 0, backoff: 1 }],
    ]);
    const report = buildPlanStatus({
      appliedVersion: '0123456789abcdef',
      local,
      outcomes: [outcome(), outcome({ id: 4, proxy: 'corp', canaries: 0, units: [], state: 'unconfigured', reason: 'environment variable X is not set on this probe', field: 'proxies.0.url' })],
      counts,
    });
    expect(planStatusSchema.parse(report)).toEqual(report);
    expect(report).toEqual({
      appliedVersion: '0123456789abcdef',
      paths: [
        { source: 'server', id: 3, target: 'app', proxy: 'direct', profile: 'idle', canaries: 2, open: 1, connecting: 1, backoff: 0, state: 'running' },
        { source: 'server', id: 4, target: 'app', proxy: 'corp', profile: 'idle', canaries: 0, open: 0, connecting: 0, backoff: 0, state: 'unconfigured', reason: 'environment variable X is not set on this probe', field: 'proxies.0.url' },
        { source: 'local', target: 'app', proxy: 'direct', profile: 'ladder', canaries: 2, open: 1, connecting: 0, backoff: 1, state: 'running' },
      ],
      truncated: false,
    });
  });

  it('carries a rejected plan, and is capped with truncated set', () => {
    const outcomes = Array.from({ length: MAX_STATUS_PATHS + 3 }, (_, i) => outcome({ id: i + 1 }));
    const report = buildPlanStatus({ appliedVersion: null, rejected: { version: 'fedcba9876543210', issues: [{ path: 'profiles.0.kind', message: 'Invalid input' }] }, local: [], outcomes, counts: new Map() });
    expect(report.paths).toHaveLength(MAX_STATUS_PATHS);
    expect(report.truncated).toBe(true);
    expect(report.rejected).toEqual({ version: 'fedcba9876543210', issues: [{ path: 'profiles.0.kind', message: 'Invalid input' }] });
    expect(planStatusSchema.safeParse(report).success).toBe(true);
  });
});
