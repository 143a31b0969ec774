import { describe, expect, it } from 'vitest';
import { ConfigError, describePlan, describeServerPlan, parseProbeConfig } from '../../agent/config';

const TOKEN = `dsp_1_${'a'.repeat(43)}`;
const base = (extra = '') => `
backend:
  url: http://127.0.0.1:3000
  token: \${TOKEN}
targets:
  - name: canary
    url: ws://127.0.0.1:3000/canary
  - name: app
    url: wss://app.example.net/ws
proxies:
  - name: direct
    url: direct
  - name: squid
    url: http://alice:\${PROXY_PASS}@127.0.0.1:3128
  - name: mobile
    url: socks5h://127.0.0.1:1080
${extra}`;

const env = { TOKEN, PROXY_PASS: 's3cret' };
const errorOf = (text: string, e: Record<string, string> = env) => {
  try {
    parseProbeConfig(text, 'probe.yaml', e);
  } catch (err) {
    expect(err).toBeInstanceOf(ConfigError);
    return (err as ConfigError).message;
  }
  throw new Error('expected a ConfigError');
};

describe('probe config', () => {
  it('expands targets × proxies × profiles, ladder rungs and counts into canaries', () => {
    const plan = parseProbeConfig(
      base(`
profiles:
  - { name: hb, kind: heartbeat, interval: 20s, timeout: 5 }
  - { name: ladder, kind: ladder, gaps: [15, 1m], timeout: 10s }
paths:
  - { targets: [canary], profiles: [idle, hb] }
  - { targets: [app], proxies: [mobile], profiles: [ladder], canaries: 2 }
`),
      'probe.yaml',
      env,
    );
    expect(plan.canaries.map((c) => c.key)).toEqual([
      'canary|direct|idle|0', 'canary|direct|hb|0', 'canary|squid|idle|0', 'canary|squid|hb|0', 'canary|mobile|idle|0', 'canary|mobile|hb|0',
      'app|mobile|ladder/15s|0', 'app|mobile|ladder/15s|1', 'app|mobile|ladder/60s|0', 'app|mobile|ladder/60s|1',
    ]);
    const hb = plan.canaries[1]!.profile;
    expect(hb).toEqual({ name: 'hb', kind: 'heartbeat', interval: 20_000, timeout: 5_000 });
    expect(plan.canaries.find((c) => c.key.startsWith('app'))!.gapMs).toBe(15_000);
    expect(plan.config.reconnect).toEqual({ base: 1000, cap: 60_000 });
  });

  it('holds a bisect path\'s canaries as the rungs it runs at once (at most four), and describes the experiment profiles', () => {
    const plan = parseProbeConfig(
      base(`
profiles:
  - { name: ka, kind: keepalive, gap: 2m, keepalive: 25s, timeout: 10s }
  - { name: verify, kind: heartbeat, interval: 30s, timeout: 10s, hold: 225s }
  - { name: big, kind: echo, interval: 5s, timeout: 10s, messageBytes: 1024, growTo: 1048576 }
paths:
  - { targets: [canary], proxies: [direct], profiles: [bisect], canaries: 10 }
  - { targets: [canary], proxies: [direct], profiles: [ka, verify, big] }
`),
      'probe.yaml',
      env,
    );
    expect(plan.canaries.map((c) => c.key)).toEqual(['canary|direct|bisect|0', 'canary|direct|bisect|1', 'canary|direct|bisect|2', 'canary|direct|bisect|3', 'canary|direct|ka|0', 'canary|direct|verify|0', 'canary|direct|big|0']);
    // The built-in bisect profile: the contract's defaults.
    expect(plan.canaries[0]!.profile).toEqual({ name: 'bisect', kind: 'bisect', from: 15_000, max: 1_800_000, timeout: 10_000 });
    expect(plan.canaries[0]!.gapMs).toBeUndefined();
    const text = describePlan(plan);
    expect(text).toContain('profile bisect: rungs of one ping after a gap bisecting the idle timeout, from 15s up to 1800s, pong deadline 10s');
    expect(text).toContain('profile ka: one ping after 120s idle with TCP keepalive every 25s, pong deadline 10s');
    expect(text).toContain('profile verify: ping every 30s, pong deadline 10s, reconnecting after 225s');
    expect(text).toContain('profile big: 1024-byte message growing to 1048576 bytes every 5s, echo deadline 10s');
  });

  it('interpolates ${ENV}, keeps credentials out of the redacted URL and the --check plan', () => {
    const plan = parseProbeConfig(base('paths: [{ profiles: [idle] }]'), 'probe.yaml', env);
    const squid = plan.canaries.find((c) => c.proxy.name === 'squid')!.proxy;
    expect(squid.url!.password).toBe('s3cret');
    expect(squid.redactedUrl).toBe('http://127.0.0.1:3128');
    expect(plan.config.backend.token).toBe(TOKEN);
    const text = describePlan(plan);
    expect(text).not.toContain('s3cret');
    expect(text).not.toContain(TOKEN);
    expect(plan.canaries.find((c) => c.proxy.name === 'mobile')!.proxy).toMatchObject({ kind: 'socks5', remoteDns: true });
  });

  it('names a missing environment variable and the field that uses it', () => {
    expect(errorOf(base('paths: [{ profiles: [idle] }]'), { TOKEN })).toContain('proxies.1.url: environment variable PROXY_PASS is not set');
  });

  it('fetches the server plan by default, every 15 s, and then needs no local paths', () => {
    const plan = parseProbeConfig(base(''), 'probe.yaml', env);
    expect(plan.config.plan).toEqual({ fromServer: true, poll: 15_000, env: [] });
    expect(plan.canaries).toEqual([]);
    const onlyBackend = parseProbeConfig('backend: { url: "http://127.0.0.1:3000", token: "${TOKEN}" }\nplan: { poll: 1m, env: [CORP_PASS] }', 'probe.yaml', env);
    expect(onlyBackend.config.plan).toEqual({ fromServer: true, poll: 60_000, env: ['CORP_PASS'] });
    expect(onlyBackend.config.targets).toEqual([]);
    expect(describePlan(onlyBackend)).toContain('0 canaries');
    expect(describeServerPlan(onlyBackend.config)).toBe('server plan: fetched from http://127.0.0.1:3000/api/v1/probe/plan every 1m; proxy URLs may use DROPSCOPE_PROXY_* and CORP_PASS');
    expect(describeServerPlan(parseProbeConfig(base('plan: { fromServer: false }\npaths: [{ profiles: [idle] }]'), 'probe.yaml', env).config)).toBe('server plan: off (plan.fromServer: false)');
  });

  it('marks local canaries as local (no source, no path id)', () => {
    const plan = parseProbeConfig(base('paths: [{ targets: [canary], proxies: [direct], profiles: [idle] }]'), 'probe.yaml', env);
    expect(plan.canaries).toHaveLength(1);
    expect(plan.canaries[0]!.source).toBeUndefined();
    expect(plan.canaries[0]!.pathId).toBeUndefined();
  });

  it.each([
    ['a bad target URL', base('paths: [{ profiles: [idle] }]').replace('ws://127.0.0.1:3000/canary', 'http://x/'), 'targets.0.url: expected a ws:// or wss:// URL'],
    ['a bad proxy scheme', base('paths: [{ profiles: [idle] }]').replace('socks5h://', 'ftp://'), 'proxies.2.url: expected "direct" or a proxy URL'],
    ['an unknown profile', base('paths: [{ profiles: [nope] }]'), 'paths.0.profiles.0: no profile named "nope"'],
    ['an unknown proxy', base('paths: [{ proxies: [tor], profiles: [idle] }]'), 'paths.0.proxies.0: no proxy named "tor"'],
    ['a bad duration', base('profiles: [{ name: hb, kind: heartbeat, interval: soon, timeout: 5 }]\npaths: [{ profiles: [hb] }]'), 'profiles.0.interval: expected a duration'],
    ['an unknown field', base('paths: [{ profiles: [idle], color: red }]'), 'paths.0: Unrecognized key: "color"'],
    ['a duplicate target', base('paths: [{ profiles: [idle] }]').replace('name: app', 'name: canary'), 'targets.1.name: duplicate name "canary"'],
    ['no paths without the server plan', base('plan: { fromServer: false }'), 'paths: expected at least one path (or plan.fromServer: true)'],
    ['paths without targets', 'backend: { url: "http://127.0.0.1:3000", token: "${TOKEN}" }\npaths: [{ profiles: [idle] }]', 'targets: expected at least one target for the paths'],
    ['a bad plan poll', base('plan: { poll: 10ms }\npaths: [{ profiles: [idle] }]'), 'plan.poll: expected a duration between 1s and 3600s'],
    ['a bad plan env name', base('plan: { env: [CORP-PASS] }\npaths: [{ profiles: [idle] }]'), 'plan.env.0: expected an environment variable name'],
    ['a malformed token', base('paths: [{ profiles: [idle] }]'), 'backend.token: expected a probe token'],
    ['broken YAML', 'targets: [\n', 'YAML:'],
  ])('rejects %s, naming the field', (_label, text, message) => {
    const e = _label === 'a malformed token' ? { ...env, TOKEN: 'nope' } : env;
    const msg = errorOf(text, e);
    expect(msg.startsWith('probe.yaml: ')).toBe(true);
    expect(msg).toContain(message);
  });
});
