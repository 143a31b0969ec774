/** Experiments in the served plan (issue 18): resolved only where the probe already goes, keyed apart, reported. */
import { describe, expect, it } from 'vitest';
import { describePath } from '../../../agent/canary';
import { parseProbeConfig } from '../../../agent/config';
import { unitsOf } from '../../../agent/plan/diff';
import { resolveServerPlan, type ResolveContext } from '../../../agent/plan/server-plan';
import { buildPlanStatus } from '../../../agent/plan/status';
import { pathSchema as ingestPathSchema } from '../../../lib/contracts/ingest';
import { planStatusSchema, type ServerPlanWire } from '../../../lib/contracts/plan';
import { serverPlan } from './fixtures';

const TOKEN = `dsp_1_${'a'.repeat(43)}`;
const probeYaml = (extra = '') => parseProbeConfig(`backend: { url: "http://127.0.0.1:3000", token: "${TOKEN}" }\n${extra}`, 'probe.yaml', {});
const ctx = (yaml = probeYaml()): ResolveContext => ({ local: yaml.config, env: {}, allowEnv: new Set(), localCanaries: yaml.canaries });

const verify = { name: 'verify-hb-30s', kind: 'heartbeat' as const, interval: '30s', timeout: '10s', hold: '225s' };
const keepalive = { name: 'keepalive-25s', kind: 'keepalive' as const, gap: '112s', keepalive: '25s', timeout: '10s' };
type Experiments = NonNullable<ServerPlanWire['experiments']>;
const experiment = (over: Partial<Experiments[number]> = {}): Experiments[number] => ({ id: 7, target: 'app', proxy: 'direct', profile: verify, canaries: 1, purpose: 'verify a 30 s heartbeat against the 75 s idle cut', ...over });

describe('experiments from the served plan', () => {
  it('run on a target × proxy a server path runs, with its definitions, keyed apart from the path', () => {
    const plan = serverPlan({
      paths: [{ id: 1, targets: ['app'], proxies: ['direct'], profiles: ['idle'], canaries: 1 }],
      profiles: [{ name: 'verify-hb-30s', kind: 'heartbeat', interval: '30s', timeout: '10s' }],
      experiments: [experiment({ canaries: 2 }), experiment({ id: 8, profile: keepalive })],
    });
    const r = resolveServerPlan(plan, ctx());
    if (!r.ok) throw new Error('expected a plan');
    const xs = r.canaries.filter((c) => c.source === 'experiment');
    expect(xs.map((c) => c.key)).toEqual(['app|direct|x7:verify-hb-30s|0', 'app|direct|x7:verify-hb-30s|1', 'app|direct|x8:keepalive-25s|0']);
    expect(xs.map((c) => [c.experimentId, c.profileLabel])).toEqual([
      [7, 'verify-hb-30s'],
      [7, 'verify-hb-30s'],
      [8, 'keepalive-25s'],
    ]);
    // The target and proxy are the running path's own (the same objects).
    const path = r.canaries.find((c) => c.source === 'server')!;
    expect(xs.every((c) => c.target === path.target && c.proxy === path.proxy)).toBe(true);
    expect(xs[0]!.profile).toEqual({ name: 'verify-hb-30s', kind: 'heartbeat', interval: 30_000, timeout: 10_000, hold: 225_000 });
    // One unit per experiment, apart from a path's unit even for a profile of the same name.
    expect([...unitsOf(r.canaries).keys()]).toEqual(['app|direct|idle', 'app|direct|x7:verify-hb-30s', 'app|direct|x8:keepalive-25s']);
    expect(r.paths.filter((p) => p.source === 'experiment')).toEqual([
      { source: 'experiment', id: 7, target: 'app', proxy: 'direct', profile: 'verify-hb-30s', canaries: 2, units: ['app|direct|x7:verify-hb-30s'], state: 'running' },
      { source: 'experiment', id: 8, target: 'app', proxy: 'direct', profile: 'keepalive-25s', canaries: 1, units: ['app|direct|x8:keepalive-25s'], state: 'running' },
    ]);
    // What its events say of it: the hold and interval, the keepalive rung's gap and interval.
    expect(describePath(xs[0]!)).toMatchObject({ profile: 'verify-hb-30s', profileKind: 'heartbeat', intervalMs: 30_000, holdMs: 225_000 });
    expect(describePath(xs[2]!)).toMatchObject({ profile: 'keepalive-25s', profileKind: 'keepalive', gapMs: 112_000, keepaliveMs: 25_000 });
    for (const c of xs) expect(ingestPathSchema.safeParse(describePath(c)).error).toBeUndefined();
  });

  it('with plan.fromServer: experiments, the server\'s paths are not run, and its experiments only where probe.yaml\'s go', () => {
    const yaml = probeYaml('plan: { fromServer: experiments }\ntargets: [{ name: mine, url: "ws://127.0.0.1:12/ws" }]\npaths: [{ profiles: [idle] }]');
    expect(yaml.config.plan.fromServer).toBe('experiments');
    const plan = serverPlan({
      paths: [{ id: 1, targets: ['app'], proxies: ['direct'], profiles: ['idle'], canaries: 1 }],
      experiments: [experiment({ target: 'mine' }), experiment({ id: 8, target: 'app' })],
    });
    const r = resolveServerPlan(plan, { ...ctx(yaml), experimentsOnly: true });
    if (!r.ok) throw new Error('expected a plan');
    expect(r.canaries.map((c) => c.key)).toEqual(['mine|direct|x7:verify-hb-30s|0']);
    expect(r.paths.map((p) => [p.source, p.id, p.state])).toEqual([
      ['experiment', 7, 'running'],
      ['experiment', 8, 'unconfigured'],
    ]);
    // Without paths of its own, such a probe would hold nothing: refused at `paths`.
    expect(() => probeYaml('plan: { fromServer: experiments }')).toThrow(/paths/);
  });

  it('run on a target × proxy only probe.yaml runs, with probe.yaml\'s definitions', () => {
    const yaml = probeYaml('targets: [{ name: mine, url: "ws://127.0.0.1:12/ws" }]\npaths: [{ profiles: [idle] }]');
    const r = resolveServerPlan(serverPlan({ paths: [], experiments: [experiment({ target: 'mine' })] }), ctx(yaml));
    if (!r.ok) throw new Error('expected a plan');
    expect(r.canaries.map((c) => [c.key, c.target.url])).toEqual([['mine|direct|x7:verify-hb-30s|0', 'ws://127.0.0.1:12/ws']]);
    expect(r.paths).toMatchObject([{ source: 'experiment', id: 7, state: 'running', canaries: 1 }]);
  });

  it('are unconfigured where the probe does not already go, naming the field', () => {
    const plan = serverPlan({
      proxies: [{ name: 'corp', url: 'http://127.0.0.1:3128' }],
      paths: [{ id: 1, targets: ['app'], proxies: ['direct'], profiles: ['idle'], canaries: 1 }],
      experiments: [experiment({ target: 'elsewhere' }), experiment({ id: 8, proxy: 'corp' })],
    });
    const r = resolveServerPlan(plan, ctx());
    if (!r.ok) throw new Error('expected a plan');
    expect(r.canaries.map((c) => c.key)).toEqual(['app|direct|idle|0']);
    expect(r.paths.filter((p) => p.source === 'experiment')).toEqual([
      { source: 'experiment', id: 7, target: 'elsewhere', proxy: 'direct', profile: 'verify-hb-30s', canaries: 0, units: [], state: 'unconfigured', reason: 'this probe runs no canary to target "elsewhere": an experiment only goes where the probe already goes', field: 'experiments.0.target' },
      { source: 'experiment', id: 8, target: 'app', proxy: 'corp', profile: 'verify-hb-30s', canaries: 0, units: [], state: 'unconfigured', reason: 'this probe does not run target "app" through proxy "corp": an experiment only goes where the probe already goes', field: 'experiments.1.proxy' },
    ]);
  });

  it('a path that is itself unconfigured gives an experiment nowhere to run', () => {
    const plan = serverPlan({ paths: [{ id: 3, targets: ['app'], proxies: ['tor'], profiles: ['idle'] }], experiments: [experiment({ proxy: 'tor' })] });
    const r = resolveServerPlan(plan, ctx());
    if (!r.ok) throw new Error('expected a plan');
    expect(r.canaries).toEqual([]);
    expect(r.paths.map((p) => [p.source, p.state])).toEqual([
      ['server', 'unconfigured'],
      ['experiment', 'unconfigured'],
    ]);
  });

  it('rejects a plan with duplicate experiment ids as a whole', () => {
    const r = resolveServerPlan(serverPlan({ experiments: [experiment(), experiment()] }), ctx());
    expect(r).toEqual({ ok: false, issues: [{ path: 'experiments.1.id', message: 'duplicate experiment id 7' }] });
  });

  it('are reported in the plan status with source experiment, their id and their canaries\' states', () => {
    const plan = serverPlan({ experiments: [experiment(), experiment({ id: 9, target: 'elsewhere' })] });
    const r = resolveServerPlan(plan, ctx());
    if (!r.ok) throw new Error('expected a plan');
    const counts = new Map([
      ['app|direct|idle', { open: 1, connecting: 0, backoff: 0 }],
      ['app|direct|x7:verify-hb-30s', { open: 0, connecting: 1, backoff: 0 }],
    ]);
    const status = buildPlanStatus({ appliedVersion: plan.version, local: [], outcomes: r.paths, counts });
    expect(planStatusSchema.parse(status)).toEqual(status);
    expect(status.paths).toEqual([
      { source: 'server', id: 1, target: 'app', proxy: 'direct', profile: 'idle', canaries: 1, open: 1, connecting: 0, backoff: 0, state: 'running' },
      { source: 'experiment', id: 7, target: 'app', proxy: 'direct', profile: 'verify-hb-30s', canaries: 1, open: 0, connecting: 1, backoff: 0, state: 'running' },
      { source: 'experiment', id: 9, target: 'elsewhere', proxy: 'direct', profile: 'verify-hb-30s', canaries: 0, open: 0, connecting: 0, backoff: 0, state: 'unconfigured', reason: expect.stringContaining('runs no canary to target "elsewhere"'), field: 'experiments.1.target' },
    ]);
  });

  it('a bisect experiment holds at most four rungs at once, as a bisect path does', () => {
    const bisect = { name: 'bisect-app', kind: 'bisect' as const, from: '5s', max: '10m', timeout: '10s' };
    const r = resolveServerPlan(serverPlan({ experiments: [experiment({ profile: bisect, canaries: 10 })] }), ctx());
    if (!r.ok) throw new Error('expected a plan');
    expect(r.canaries.filter((c) => c.source === 'experiment').map((c) => c.key)).toEqual([0, 1, 2, 3].map((n) => `app|direct|x7:bisect-app|${n}`));
  });
});
