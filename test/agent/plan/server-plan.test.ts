import { describe, expect, it } from 'vitest';
import { parseProbeConfig } from '../../../agent/config';
import { resolveServerPlan, type ResolveContext } from '../../../agent/plan/server-plan';
import { serverPlanSchema } from '../../../lib/contracts/plan';
import { serverPlan, wirePlan } from './fixtures';

const TOKEN = `dsp_1_${'a'.repeat(43)}`;
const local = (extra = '') =>
  parseProbeConfig(`backend: { url: "http://127.0.0.1:3000", token: "${TOKEN}" }\n${extra}`, 'probe.yaml', {}).config;
const ctx = (over: Partial<ResolveContext> = {}): ResolveContext => ({ local: local(), env: {}, allowEnv: new Set(), ...over });

const proxied = (url: string) =>
  serverPlan({
    proxies: [{ name: 'corp', url }],
    paths: [
      { id: 7, targets: ['app'], proxies: ['corp'], profiles: ['idle'], canaries: 2 },
      { id: 8, targets: ['app'], proxies: ['direct'], profiles: ['idle'] },
    ],
  });

describe('resolveServerPlan', () => {
  it('expands a server path like a local one, with source and path id, keyed the same way', () => {
    const r = resolveServerPlan(serverPlan({ paths: [{ id: 4, targets: ['app'], proxies: ['direct'], profiles: ['ladder'], canaries: 1 }] }), ctx());
    expect(r.ok).toBe(true);
    if (!r.ok) return;
    expect(r.canaries.map((c) => c.key)).toEqual([15, 30, 45, 60, 90, 120, 300].map((s) => `app|direct|ladder/${s}s|0`));
    expect(r.canaries.every((c) => c.source === 'server' && c.pathId === 4)).toBe(true);
    expect(r.paths).toEqual([{ source: 'server', id: 4, target: 'app', proxy: 'direct', profile: 'ladder', canaries: 7, units: r.canaries.map((c) => c.key.replace(/\|0$/, '')), state: 'running' }]);
  });

  it('fills ${VAR} in a proxy URL from DROPSCOPE_PROXY_* and plan.env, percent-encoded, and from nothing else', () => {
    const plan = proxied('http://${DROPSCOPE_PROXY_USER}:${CORP_PASS}@127.0.0.1:3128');
    const env = { DROPSCOPE_PROXY_USER: 'alice', CORP_PASS: 'p@ss/w:rd', DROPSCOPE_TOKEN: TOKEN };
    const allowed = resolveServerPlan(plan, ctx({ env, allowEnv: new Set(['CORP_PASS']) }));
    if (!allowed.ok) throw new Error('expected a plan');
    const corp = allowed.canaries.find((c) => c.proxy.name === 'corp')!.proxy;
    expect(corp.url!.username).toBe('alice');
    expect(decodeURIComponent(corp.url!.password)).toBe('p@ss/w:rd');
    expect(corp.url!.host).toBe('127.0.0.1:3128');
    expect(corp.redactedUrl).toBe('http://127.0.0.1:3128');
    expect(allowed.paths.map((p) => p.state)).toEqual(['running', 'running']);

    // Not listed under plan.env, not DROPSCOPE_PROXY_*: the path is unconfigured, the other runs.
    const refused = resolveServerPlan(plan, ctx({ env }));
    if (!refused.ok) throw new Error('expected a plan');
    expect(refused.paths[0]).toMatchObject({ id: 7, state: 'unconfigured', canaries: 0, field: 'proxies.0.url', reason: expect.stringMatching(/^CORP_PASS is not allowed for server plans: list it under plan.env in probe.yaml/) });
    expect(refused.paths[1]).toMatchObject({ id: 8, state: 'running', canaries: 1 });
    expect(refused.canaries.map((c) => c.key)).toEqual(['app|direct|idle|0']);

    // The token is never the server's to use.
    const token = resolveServerPlan(proxied('http://${DROPSCOPE_TOKEN}@127.0.0.1:3128'), ctx({ env }));
    if (!token.ok) throw new Error('expected a plan');
    expect(token.paths[0]).toMatchObject({ state: 'unconfigured', reason: expect.stringContaining('DROPSCOPE_TOKEN is not allowed') });
    expect(JSON.stringify(token)).not.toContain(TOKEN);
  });

  it('a variable not set on this probe makes its paths unconfigured, naming it and the field', () => {
    const r = resolveServerPlan(proxied('socks5://${DROPSCOPE_PROXY_USER}:${DROPSCOPE_PROXY_PASS}@127.0.0.1:1080'), ctx({ env: { DROPSCOPE_PROXY_USER: 'alice' } }));
    if (!r.ok) throw new Error('expected a plan');
    expect(r.paths[0]).toMatchObject({ state: 'unconfigured', reason: 'environment variable DROPSCOPE_PROXY_PASS is not set on this probe', field: 'proxies.0.url' });
  });

  it('a name probe.yaml defines differently is unconfigured; the same definition is fine', () => {
    const same = local('targets: [{ name: app, url: "ws://127.0.0.1:9/ws" }]');
    expect(resolveServerPlan(serverPlan(), ctx({ local: same })).ok && resolveServerPlan(serverPlan(), ctx({ local: same }))).toMatchObject({ paths: [{ state: 'running' }] });

    const other = local('targets: [{ name: app, url: "ws://127.0.0.1:10/ws" }]');
    const r = resolveServerPlan(serverPlan(), ctx({ local: other }));
    if (!r.ok) throw new Error('expected a plan');
    expect(r.paths[0]).toMatchObject({ state: 'unconfigured', reason: 'target "app" is defined differently in probe.yaml', field: 'targets.0' });
    expect(r.canaries).toEqual([]);

    const hb = local('profiles: [{ name: heartbeat, kind: heartbeat, interval: 5s, timeout: 2s }]');
    const p = resolveServerPlan(serverPlan({ paths: [{ id: 2, targets: ['app'], proxies: ['direct'], profiles: ['heartbeat'] }] }), ctx({ local: hb }));
    if (!p.ok) throw new Error('expected a plan');
    expect(p.paths[0]).toMatchObject({ state: 'unconfigured', reason: 'profile "heartbeat" is defined differently in probe.yaml' });

    // A server profile that takes a built-in's name replaces it, unless probe.yaml's paths use that built-in.
    const fast = { name: 'heartbeat', kind: 'heartbeat' as const, interval: '5s', timeout: '2s' };
    const redefined = serverPlan({ profiles: [fast], paths: [{ id: 2, targets: ['app'], proxies: ['direct'], profiles: ['heartbeat'] }] });
    const free = resolveServerPlan(redefined, ctx());
    if (!free.ok) throw new Error('expected a plan');
    expect(free.paths[0]!.state).toBe('running');
    expect(free.canaries[0]!.profile).toEqual({ name: 'heartbeat', kind: 'heartbeat', interval: 5000, timeout: 2000 });
    const usedLocally = local('targets: [{ name: other, url: "ws://127.0.0.1:11/" }]\npaths: [{ profiles: [heartbeat] }]');
    const taken = resolveServerPlan(redefined, ctx({ local: usedLocally }));
    if (!taken.ok) throw new Error('expected a plan');
    expect(taken.paths[0]).toMatchObject({ state: 'unconfigured', reason: 'profile "heartbeat" is defined differently in probe.yaml', field: 'profiles.0' });

    const proxyLocal = local('proxies: [{ name: direct, url: direct }, { name: corp, url: "http://127.0.0.1:3129" }]');
    const x = resolveServerPlan(proxied('http://127.0.0.1:3128'), ctx({ local: proxyLocal }));
    if (!x.ok) throw new Error('expected a plan');
    expect(x.paths.map((o) => o.state)).toEqual(['unconfigured', 'running']);
    expect(x.paths[0]!.reason).toBe('proxy "corp" is defined differently in probe.yaml');
  });

  it('a path naming what the plan does not define is unconfigured at that field', () => {
    const r = resolveServerPlan(serverPlan({ paths: [{ id: 3, targets: ['app'], proxies: ['tor'], profiles: ['idle'] }] }), ctx());
    if (!r.ok) throw new Error('expected a plan');
    expect(r.paths[0]).toMatchObject({ state: 'unconfigured', field: 'paths.0.proxies.0', reason: 'the plan defines no proxy named "tor"' });
  });

  it('rejects a plan with duplicate names or path ids as a whole', () => {
    const r = resolveServerPlan(serverPlan({ targets: [{ name: 'app', url: 'ws://127.0.0.1:9/' }, { name: 'app', url: 'ws://127.0.0.1:10/' }], paths: [{ id: 1, profiles: ['idle'] }, { id: 1, profiles: ['idle'] }] }), ctx());
    expect(r).toEqual({ ok: false, issues: [{ path: 'targets.1.name', message: 'duplicate name "app"' }, { path: 'paths.1.id', message: 'duplicate path id 1' }] });
  });

  it('the schema refuses what a server plan may not carry, naming the field', () => {
    const issues = (wire: unknown) => serverPlanSchema.safeParse(wire).error?.issues.map((i) => i.path.join('.'));
    expect(issues(wirePlan({ proxies: [{ name: 'corp', url: 'http://alice:secret@127.0.0.1:3128' }] }))).toEqual(['proxies.0.url']);
    expect(issues(wirePlan({ profiles: [{ name: 'x', kind: 'nope' } as never] }))).toEqual(['profiles.0.kind']);
  });
});
