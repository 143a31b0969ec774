/**
 * The verdict's structured fields for the classes of mistake it used to make: phantom
 * "0.0 s" signatures, software never named (or named for the wrong layer), endpoint closes
 * taken for a layer's cut, heartbeats that die at a fixed age taken for idle.
 */
import { describe, expect, it } from 'vitest';
import { analyzeSessions, type SessionSample } from '../../../lib/analysis/analyze';
import { rng } from './synthetic';

let seq = 0;
type Over = Partial<SessionSample>;
function s(o: Over & { ageMs: number | null }): SessionSample {
  return {
    id: `v${++seq}`,
    probe: 'edge-1',
    labels: {},
    target: 'app',
    proxy: 'direct',
    proxyKind: 'direct',
    profile: 'idle',
    profileKind: 'idle',
    gapMs: null,
    idleMs: o.ageMs,
    endKind: 'tcp_fin',
    closeCode: 1006,
    endedAt: Date.parse('2026-12-01T00:00:00Z') + seq * 1000,
    headers: {},
    egress: null,
    targetView: null,
    dropped: true,
    ...o,
  };
}
const many = (n: number, f: (i: number) => SessionSample) => Array.from({ length: n }, (_, i) => f(i));
const r = rng(42);
const jitter = (ms: number) => (r() - 0.5) * 2 * ms;
/** Sessions that outlive everything here (controls). */
const survivors = (o: Over, n = 10) => many(n, () => s({ ...o, ageMs: 900_000 + r() * 100_000, endKind: 'probe_closed', dropped: false }));
const allText = (a: ReturnType<typeof analyzeSessions>) => JSON.stringify([a.signatures.map((g) => [g.verdict, g.recommendation, g.kindEvidence, g.location.evidence]), a.findings]);

describe('phantoms', () => {
  it('a target that closes every connection right after the upgrade with 1013 makes a finding, not a 0 s signature', () => {
    const sessions = [
      ...many(40, () => s({ ageMs: 3 + r() * 30, endKind: 'close_frame', closeCode: 1013 })),
      ...many(20, () => s({ proxy: 'squid', proxyKind: 'http', ageMs: 4 + r() * 30, endKind: 'close_frame', closeCode: 1013 })),
      ...survivors({ target: 'other' }),
    ];
    const a = analyzeSessions(sessions);
    expect(a.signatures).toEqual([]);
    expect(a.findings).toHaveLength(1);
    expect(a.findings[0]).toMatchObject({ kind: 'early-close', cause: 'endpoint-close', severity: 'critical' });
    expect(a.findings[0]!.title).toBe('Target app closes every connection right after the upgrade with 1013 (Try Again Later)');
    expect(allText(a)).not.toMatch(/\b0\.0 s/);
  });

  it('heartbeats whose endpoint never pongs (nothing after the 101) have no age and make no signature', () => {
    const sessions = [
      ...many(50, () => s({ profile: 'hb', profileKind: 'heartbeat', ageMs: null, idleMs: null, endKind: 'pong_timeout' })),
      ...survivors({ target: 'other' }),
    ];
    const a = analyzeSessions(sessions);
    expect(a.signatures).toEqual([]);
    expect(a.totalDrops).toBe(50);
  });

  it('a layer that cuts right after the upgrade with a FIN is said as a layer cut', () => {
    const a = analyzeSessions([...many(12, () => s({ proxy: 'corp', proxyKind: 'http', ageMs: 40 + r() * 20 })), ...survivors({})]);
    expect(a.signatures).toEqual([]);
    expect(a.findings).toMatchObject([{ kind: 'early-close', cause: 'layer-cut' }]);
  });
});

describe('software', () => {
  const nginxAt75 = () => [
    ...['direct', 'squid', 'mobile'].flatMap((proxy) => many(15, () => s({ proxy, proxyKind: proxy === 'direct' ? 'direct' : 'http', ageMs: 75_000 + jitter(5), headers: { server: 'nginx/1.22.1' } }))),
    ...['direct', 'squid', 'mobile'].flatMap((proxy) => survivors({ proxy, target: 'other' })),
    ...many(5, () => s({ profile: 'hb', profileKind: 'heartbeat', ageMs: 300_000 + r() * 1000, idleMs: 5000, endKind: 'probe_closed', dropped: false, headers: { server: 'nginx/1.22.1' } })),
  ];

  it('names nginx from its Server header at a non-default N, with the setting and the header as evidence', () => {
    const [sig] = analyzeSessions(nginxAt75()).signatures;
    expect(sig).toMatchObject({ kind: 'idle', endedBy: 'layer', location: { scope: 'target', value: 'app' } });
    expect(sig!.software).toMatchObject({ name: 'nginx', version: '1.22.1', side: 'target-front', known: true, shownBy: { header: 'server', value: 'nginx/1.22.1', source: 'upgrade' } });
    expect(sig!.candidates[0]).toMatchObject({ basis: 'identity', layerId: 'nginx-proxy-read' });
    expect(sig!.verdict).toContain('nginx 1.22.1, in front of that target (server: nginx/1.22.1)');
    expect(sig!.verdict).toContain('set to about 75.0 s');
    expect(sig!.recommendation).toContain('proxy_read_timeout');
    expect(sig!.confidence.level).toBe("high");
  });

  it('reports software the catalogue does not know as the identity of the layer that answered', () => {
    const sessions = nginxAt75().map((x) => ({ ...x, headers: { server: 'acme-gw/2.3' } }));
    const [sig] = analyzeSessions(sessions).signatures;
    expect(sig!.software).toMatchObject({ name: 'acme-gw', version: '2.3', known: false });
    expect(sig!.verdict).toContain('identifies itself as acme-gw/2.3');
  });

  it('never names the target front’s software for a cut that the place puts at a forward proxy', () => {
    const sessions = [
      ...many(20, () => s({ proxy: 'squid', proxyKind: 'http', ageMs: 37_000 + jitter(500), headers: { server: 'nginx/1.22.1' } })),
      ...many(20, () => s({ proxy: 'squid', proxyKind: 'http', target: 'b', ageMs: 37_000 + jitter(500) })),
      ...survivors({ headers: { server: 'nginx/1.22.1' } }),
      ...survivors({ target: 'b' }),
    ];
    const [sig] = analyzeSessions(sessions).signatures;
    expect(sig!.location).toMatchObject({ scope: 'proxy', value: 'squid' });
    expect(sig!.software).toBeNull();
    expect(sig!.softwareNote).toContain("speaks for the target's front");
    expect(sig!.candidates.every((c) => !/nginx/i.test(c.name))).toBe(true);
  });

  it('says it cannot tell when two layers in front of the target name themselves and neither default is N', () => {
    const sessions = nginxAt75().map((x) => ({ ...x, headers: { server: 'nginx/1.22.1', via: '1.1 abc.cloudfront.net (CloudFront)', 'x-amz-cf-id': 'x' } }));
    const [sig] = analyzeSessions(sessions).signatures;
    expect(sig!.software).toBeNull();
    expect(sig!.softwareNote).toMatch(/nothing here tells which of them cut/);
  });
});

describe('names only what can sit there', () => {
  it('a forward proxy cutting at 20 s is not named after a load balancer whose default is 20 s', () => {
    const sessions = [
      ...many(12, () => s({ proxy: 'demo-proxy', proxyKind: 'http', ageMs: 20_000 + jitter(5) })),
      ...survivors({ proxy: 'direct' }),
      ...survivors({ proxy: 'demo-proxy', profile: 'hb', profileKind: 'heartbeat', idleMs: 4000 }),
    ];
    const [sig] = analyzeSessions(sessions).signatures;
    expect(sig!.location).toMatchObject({ scope: 'proxy', value: 'demo-proxy' });
    expect(sig!.verdict).toMatch(/a layer inside that proxy's chain with a 20\.0 s idle timeout\.$/);
    expect(sig!.candidates.filter((c) => c.score >= 3)).toEqual([]);
  });
});

describe('ladder evidence', () => {
  it('never quotes a rung that died nearly every time as one that survives', () => {
    const rung = (gapMs: number, o: Over & { ageMs: number }) => s({ profile: `ladder/${gapMs / 1000}s`, profileKind: 'ladder', gapMs, ...o });
    const sessions = [
      ...many(20, () => s({ proxy: 'squid', proxyKind: 'http', ageMs: 60_000 + jitter(5) })),
      ...survivors({ proxy: 'direct' }),
      // The 30 s rung through squid died nearly every time, right after its 101 (another cause).
      ...many(9, () => rung(30_000, { proxy: 'squid', proxyKind: 'http', ageMs: 20 + r() * 20, endKind: 'close_frame', closeCode: 1013 })),
      rung(30_000, { proxy: 'squid', proxyKind: 'http', ageMs: 31_000, endKind: 'probe_closed', dropped: false }),
    ];
    const [sig] = analyzeSessions(sessions).signatures;
    expect(sig!.nSeconds).toBe(60);
    expect(sig!.kindEvidence.join(' ')).not.toMatch(/survives 30 s/);
  });
});

describe('who ended it, and how', () => {
  it('an application close code at a fixed N is the endpoint, with its own advice', () => {
    const sessions = [...many(30, () => s({ ageMs: 300_000 + jitter(20), endKind: 'close_frame', closeCode: 4000, profile: 'hb', profileKind: 'heartbeat', idleMs: 3000 })), ...survivors({ target: 'other', profile: 'hb', profileKind: 'heartbeat' })];
    const [sig] = analyzeSessions(sessions).signatures;
    expect(sig).toMatchObject({ endedBy: 'endpoint', candidates: [] });
    expect(sig!.verdict).toContain('closed by their endpoint with 4000 (application-defined)');
    expect(sig!.recommendation).toContain('no layer');
  });

  it('heartbeats that die silently at a fixed age (answered until then) are a lifetime limit', () => {
    const sessions = [
      ...many(25, () => s({ profile: 'hb', profileKind: 'heartbeat', ageMs: 120_000 + jitter(50), idleMs: null, endKind: 'pong_timeout' })),
      ...survivors({ target: 'other', profile: 'hb', profileKind: 'heartbeat' }),
    ];
    const [sig] = analyzeSessions(sessions).signatures;
    expect(sig).toMatchObject({ kind: 'lifetime', location: { scope: 'target', value: 'app' } });
  });
});
