import { describe, expect, it } from 'vitest';
import { BUILTIN_PROFILES, toProxyConfig, type PlannedCanary } from '../../../agent/config';
import { canonicalJson, fingerprint, unitKey, unitsOf } from '../../../agent/plan/diff';

const target = { name: 'app', url: 'ws://127.0.0.1:9/', headers: { 'X-A': '1', 'X-B': '2' }, subprotocols: [], tls: { verify: true } };
const canary = (over: Partial<PlannedCanary> = {}): PlannedCanary => ({
  key: 'app|corp|idle|0',
  target,
  proxy: toProxyConfig({ name: 'corp', url: 'http://alice:one@127.0.0.1:3128' }),
  profile: BUILTIN_PROFILES[0]!,
  profileLabel: 'idle',
  ...over,
});

describe('unit fingerprints', () => {
  it('change with the proxy credentials, the target, the profile and the gap, not the count; never hold the password', () => {
    const base = fingerprint(canary());
    expect(fingerprint(canary())).toBe(base);
    expect(fingerprint(canary({ proxy: toProxyConfig({ name: 'corp', url: 'http://alice:two@127.0.0.1:3128' }) }))).not.toBe(base);
    expect(fingerprint(canary({ target: { ...target, url: 'ws://127.0.0.1:9/?v=2' } }))).not.toBe(base);
    expect(fingerprint(canary({ profile: { name: 'idle', kind: 'heartbeat', interval: 1000, timeout: 1000 } }))).not.toBe(base);
    expect(fingerprint(canary({ gapMs: 15_000 }))).not.toBe(base);
    // The count is not the unit's shape: a count that changes adds or ends canaries only.
    expect(base).toMatch(/^[0-9a-f]{64}$/);
  });

  it('do not change with key order or the slot\'s source', () => {
    const reordered = { ...target, headers: { 'X-B': '2', 'X-A': '1' } };
    expect(fingerprint(canary({ target: reordered }))).toBe(fingerprint(canary()));
    expect(fingerprint(canary({ source: 'server', pathId: 9 }))).toBe(fingerprint(canary()));
    expect(canonicalJson({ b: 1, a: [{ d: 2, c: undefined }] })).toBe('{"a":[{"d":2}],"b":1}');
  });

  it('units group a plan by target|proxy|profileLabel, counting their canaries', () => {
    const units = unitsOf([canary(), canary({ key: 'app|corp|idle|1' }), canary({ key: 'app|corp|ladder/15s|0', profileLabel: 'ladder/15s', gapMs: 15_000 })]);
    expect([...units.keys()]).toEqual(['app|corp|idle', 'app|corp|ladder/15s']);
    expect(units.get('app|corp|idle')!.canaries).toHaveLength(2);
    expect(units.get('app|corp|idle')!.fingerprint).toBe(fingerprint(canary()));
    expect(unitKey(canary())).toBe('app|corp|idle');
  });
});
