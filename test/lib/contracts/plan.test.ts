/** The plan contract: what a server plan may hold of a proxy and a target, durations that survive the trip, the status a probe reports. */
import { describe, expect, it } from 'vitest';
import {
  CREDENTIALS_MESSAGE,
  durationMs,
  formatPlanDuration,
  planStatusSchema,
  profileSchema,
  proxyTemplateSchema,
  serverPlanSchema,
  serverTargetSchema,
  type ServerPlanWire,
} from '../../../lib/contracts/plan';
import { planPathInputSchema, planProxyInputSchema, planTargetInputSchema } from '../../../lib/plans/input';

const issuesOf = (r: { success: boolean; error?: { issues: { path: PropertyKey[]; message: string }[] } }) =>
  (r.error?.issues ?? []).map((i) => ({ path: i.path.map(String).join('.'), message: i.message }));

describe('proxyTemplateSchema', () => {
  it.each(['direct', 'http://127.0.0.1:3128', 'http://${LAB_USER}:${LAB_PASS}@127.0.0.1:3128', 'socks5h://${U}:${P}@proxy.example:1080', 'http://${TOKEN_ONLY}@10.0.0.1:8080', 'https://proxy.example:443/'])(
    'accepts %s',
    (url) => expect(proxyTemplateSchema.safeParse(url).success).toBe(true),
  );

  it.each([
    ['http://alice:hunter2@127.0.0.1:3128', CREDENTIALS_MESSAGE],
    ['http://alice:${PASS}@127.0.0.1:3128', CREDENTIALS_MESSAGE],
    ['http://${USER}:pw${PASS}@127.0.0.1:3128', CREDENTIALS_MESSAGE],
    ['http://$${USER}:${PASS}@127.0.0.1:3128', CREDENTIALS_MESSAGE],
    ['http://${HOST}:3128', 'a ${VAR} may stand only for the proxy user name or password'],
    ['http://127.0.0.1:${PORT}', 'a ${VAR} may stand only for the proxy user name or password'],
    ['ftp://127.0.0.1:21', 'expected "direct" or a proxy URL'],
    ['http://127.0.0.1:3128/path', 'expected "direct" or a proxy URL'],
  ])('refuses %s', (url, message) => {
    const r = proxyTemplateSchema.safeParse(url);
    expect(r.success).toBe(false);
    expect(issuesOf(r)[0]?.message).toContain(message);
  });

  it('names `url` in the proxy body with the reason credentials are refused', () => {
    const r = planProxyInputSchema.safeParse({ name: 'lab', url: 'http://u:p@127.0.0.1:3128' });
    expect(issuesOf(r)).toEqual([{ path: 'url', message: CREDENTIALS_MESSAGE }]);
    expect(issuesOf(planProxyInputSchema.safeParse({ name: 'direct', url: 'direct' }))[0]?.path).toBe('name');
  });
});

describe('serverTargetSchema and the target body', () => {
  it('refuses tls.caFile: a server plan names no file on the probe', () => {
    const target = { name: 'app', url: 'wss://app.example/ws', tls: { caFile: '/etc/ca.pem' } };
    expect(issuesOf(serverTargetSchema.safeParse(target)).map((i) => i.path)).toEqual(['tls.caFile']);
    expect(issuesOf(planTargetInputSchema.safeParse(target)).map((i) => i.path)).toEqual(['tls.caFile']);
    expect(serverTargetSchema.safeParse({ ...target, tls: {} }).success).toBe(true);
  });

  it('needs tls.servername for a wss:// URL with an address, as the agent does', () => {
    expect(issuesOf(planTargetInputSchema.safeParse({ name: 'app', url: 'wss://127.0.0.1:8443/' })).map((i) => i.path)).toEqual(['tls.servername']);
    expect(planTargetInputSchema.safeParse({ name: 'app', url: 'wss://127.0.0.1:8443/', tls: { servername: 'app.example' } }).success).toBe(true);
    expect(planTargetInputSchema.safeParse({ name: 'app', url: 'ws://127.0.0.1:8080/' }).success).toBe(true);
  });

  it('refuses an origin or a header value no request can carry, naming the field', () => {
    const target = { name: 'app', url: 'ws://127.0.0.1:8080/' };
    for (const origin of ['https://app.example\r\nX-Evil: 1', 'https://app.example/path', 'app.example']) {
      expect(issuesOf(serverTargetSchema.safeParse({ ...target, origin })).map((i) => i.path), origin).toEqual(['origin']);
    }
    expect(serverTargetSchema.safeParse({ ...target, origin: 'https://app.example:8443' }).success).toBe(true);
    expect(issuesOf(serverTargetSchema.safeParse({ ...target, headers: { 'X-Canary': 'a\nb' } })).map((i) => i.path)).toEqual(['headers.X-Canary']);
    expect(issuesOf(planTargetInputSchema.safeParse({ ...target, origin: 'https://a.example\n' })).map((i) => i.path)).toContain('origin');
  });

  it('refuses credentials in the target URL and bad names, naming the field', () => {
    expect(issuesOf(planTargetInputSchema.safeParse({ name: 'app', url: 'ws://u:p@127.0.0.1/' })).map((i) => i.path)).toEqual(['url']);
    expect(issuesOf(planTargetInputSchema.safeParse({ name: 'no spaces', url: 'ws://127.0.0.1/' })).map((i) => i.path)).toEqual(['name']);
  });
});

describe('the path body', () => {
  it('defaults to one canary, direct, on every probe, enabled', () => {
    expect(planPathInputSchema.parse({ target: 'app', profile: 'idle' })).toEqual({ target: 'app', proxy: 'direct', profile: 'idle', canaries: 1, probes: '*', enabled: true });
  });

  it.each([
    [{ probes: 'region = eu' }, 'probes'],
    [{ probes: '=eu' }, 'probes'],
    [{ probes: 'edge eu' }, 'probes'],
    [{ canaries: 0 }, 'canaries'],
    [{ canaries: 1001 }, 'canaries'],
    [{ target: '' }, 'target'],
  ])('refuses %j naming %s', (over, field) => {
    expect(issuesOf(planPathInputSchema.safeParse({ target: 'app', proxy: 'direct', profile: 'idle', ...over })).map((i) => i.path)).toEqual([field]);
  });
});

describe('formatPlanDuration', () => {
  it.each([
    [86_400_000, '24h'],
    [90_000, '90s'],
    [120_000, '2m'],
    [250, '250ms'],
    [1500, '1500ms'],
    [0, '0ms'],
  ])('writes %d ms as %s', (ms, text) => expect(formatPlanDuration(ms)).toBe(text));

  it('round-trips through durationMs for every duration a profile may hold, up to 86 400 s', () => {
    const parse = durationMs(0, 86_400_000);
    for (const ms of [100, 999, 1000, 15_000, 45_000, 60_000, 61_000, 3_599_000, 3_600_000, 7_200_000, 86_399_000, 86_400_000]) {
      expect(parse.parse(formatPlanDuration(ms))).toBe(ms);
    }
  });

  it('refuses what is not a duration', () => {
    expect(() => formatPlanDuration(-1)).toThrow(RangeError);
    expect(() => formatPlanDuration(Number.NaN)).toThrow(RangeError);
  });
});

describe('serverPlanSchema', () => {
  const doc: ServerPlanWire = {
    version: '0123456789abcdef',
    revision: 3,
    probe: { name: 'edge-eu', labels: { region: 'eu' } },
    targets: [{ name: 'app', url: 'ws://127.0.0.1:8080/ws', headers: {}, subprotocols: [], tls: { verify: true } }],
    proxies: [{ name: 'lab', url: 'http://${DROPSCOPE_PROXY_U}:${DROPSCOPE_PROXY_P}@127.0.0.1:3128' }],
    profiles: [{ name: 'slow-ladder', kind: 'ladder', gaps: ['24h', '90s'], timeout: '10s' }],
    paths: [{ id: 7, targets: ['app'], proxies: ['lab'], profiles: ['slow-ladder'], canaries: 2 }],
  };

  it('reads a served plan, durations in milliseconds', () => {
    const plan = serverPlanSchema.parse(doc);
    expect(plan.profiles[0]).toEqual({ name: 'slow-ladder', kind: 'ladder', gaps: [86_400_000, 90_000], timeout: 10_000 });
    expect(plan.paths[0]).toEqual({ id: 7, targets: ['app'], proxies: ['lab'], profiles: ['slow-ladder'], canaries: 2 });
  });

  it.each([
    [{ version: 'abc' }, 'version'],
    [{ proxies: [{ name: 'lab', url: 'http://u:p@127.0.0.1:3128' }] }, 'proxies.0.url'],
    [{ targets: [{ name: 'app', url: 'ws://127.0.0.1/', tls: { caFile: '/x' } }] }, 'targets.0.tls.caFile'],
    [{ profiles: [{ name: 'p', kind: 'sleepy' }] }, 'profiles.0.kind'],
    [{ paths: [{ targets: ['app'], profiles: ['idle'] }] }, 'paths.0.id'],
    [{ extra: 1 }, '(root)'],
  ])('refuses %j at %s', (over, field) => {
    const paths = issuesOf(serverPlanSchema.safeParse({ ...doc, ...over })).map((i) => i.path || '(root)');
    expect(paths).toContain(field);
  });

  it('takes back a profile it wrote: the profile schema reads formatPlanDuration output', () => {
    const p = profileSchema.parse({ name: 'hb', kind: 'heartbeat', interval: formatPlanDuration(25_000), timeout: formatPlanDuration(10_000) });
    expect(p).toEqual({ name: 'hb', kind: 'heartbeat', interval: 25_000, timeout: 10_000 });
  });
});

describe('planStatusSchema', () => {
  const path = { source: 'server', id: 7, target: 'app', proxy: 'lab', profile: 'idle', canaries: 2, open: 1, connecting: 1, backoff: 0, state: 'running' };

  it('reads a report, truncated false by default', () => {
    expect(planStatusSchema.parse({ appliedVersion: null, paths: [path] })).toEqual({ appliedVersion: null, paths: [path], truncated: false });
  });

  it.each([
    ['paths.0.state', { paths: [{ ...path, state: 'sleeping' }] }],
    ['paths.0.open', { paths: [{ ...path, open: -1 }] }],
    ['paths.0.reason', { paths: [{ ...path, reason: 'x'.repeat(513) }] }],
    ['paths', { paths: Array.from({ length: 501 }, () => path) }],
    ['rejected.issues.0.message', { rejected: { version: 'v', issues: [{ path: 'profiles.0.kind' }] } }],
  ])('refuses a report bad at %s', (field, over) => {
    expect(issuesOf(planStatusSchema.safeParse({ appliedVersion: 'v', paths: [], ...over })).map((i) => i.path)).toContain(field);
  });
});
