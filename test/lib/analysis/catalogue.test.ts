import { describe, expect, it } from 'vitest';
import { BUILTIN_LAYERS, layerSchema } from '../../../lib/analysis/catalogue';
import { SOFTWARE_SIGNS, softwareIn } from '../../../lib/analysis/software-signs';

const byId = new Map(BUILTIN_LAYERS.map((l) => [l.id, l]));
const signNames = new Set(SOFTWARE_SIGNS.map((s) => s.software));

describe('built-in layer catalogue', () => {
  it('parses every entry with layerSchema, with unique ids', () => {
    for (const layer of BUILTIN_LAYERS) expect(layerSchema.parse(layer), layer.id).toEqual(layer);
    expect(new Set(BUILTIN_LAYERS.map((l) => l.id)).size).toBe(BUILTIN_LAYERS.length);
  });

  it('names software only as SOFTWARE_SIGNS names it', () => {
    const unknown = BUILTIN_LAYERS.filter((l) => l.software !== undefined && !signNames.has(l.software)).map((l) => `${l.id}: ${l.software}`);
    expect(unknown).toEqual([]);
  });

  it('has header hints that compile as case-insensitive patterns', () => {
    for (const layer of BUILTIN_LAYERS) for (const h of layer.headerHints) expect(() => new RegExp(h.pattern, 'i'), `${layer.id} ${h.header}`).not.toThrow();
  });

  it('takes the hints of a layer that names its software and gives none of its own from that software\'s signs', () => {
    const kong = byId.get('kong-read-timeout')!;
    expect(kong.headerHints).toContainEqual({ header: 'via', pattern: expect.stringContaining('kong') });
    const matches = (headers: Record<string, string>) => kong.headerHints.some((h) => new RegExp(h.pattern, 'i').test(headers[h.header] ?? ''));
    expect(matches({ via: '1.1 kong/3.6.1' })).toBe(true);
    expect(matches({ server: 'nginx/1.24.0' })).toBe(false);
    // An explicit empty list stays empty: the stream module proxies TCP and sees no headers.
    expect(byId.get('nginx-stream-proxy-timeout')!.headerHints).toEqual([]);
  });

  // Other modules and tests refer to these ids, and equal scores fall back to catalogue order.
  it('keeps the original entries, their values and their order at the top', () => {
    const original: [string, number, 'idle' | 'lifetime'][] = [
      ['nginx-proxy-read', 60, 'idle'], ['ingress-nginx', 60, 'idle'], ['haproxy-tunnel', 3600, 'idle'], ['haproxy-client', 50, 'idle'],
      ['envoy-route-timeout', 15, 'lifetime'], ['envoy-stream-idle', 300, 'idle'], ['envoy-idle', 3600, 'idle'],
      ['cloudflare-100', 100, 'idle'], ['cloudflare-120', 120, 'idle'], ['aws-alb', 60, 'idle'], ['aws-nlb', 350, 'idle'],
      ['aws-nat-gateway', 350, 'idle'], ['aws-network-firewall', 350, 'idle'], ['aws-apigw-idle', 600, 'idle'], ['aws-apigw-lifetime', 7200, 'lifetime'],
      ['azure-lb', 240, 'idle'], ['azure-front-door-idle', 300, 'idle'], ['azure-front-door-lifetime', 14_400, 'lifetime'],
      ['gcp-lb-backend', 30, 'lifetime'], ['cloud-run', 300, 'lifetime'], ['heroku-router', 55, 'idle'],
      ['squid-read-timeout', 900, 'idle'], ['squid-client-lifetime', 86_400, 'lifetime'], ['conntrack-established', 432_000, 'idle'],
      ['kube-proxy-conntrack', 86_400, 'idle'], ['rfc5382-nat', 7440, 'idle'], ['socket-io-ping', 45, 'idle'], ['tinyproxy-timeout', 600, 'idle'],
    ];
    expect(BUILTIN_LAYERS.slice(0, original.length).map((l) => [l.id, l.timeoutS, l.kind])).toEqual(original);
  });

  it.each([
    ['nginx', 60, 'idle', 'nginx-proxy-read'],
    ['Cloudflare', 100, 'idle', 'cloudflare-100'],
    ['AWS ALB', 60, 'idle', 'aws-alb'],
    ['AWS NLB', 350, 'idle', 'aws-nlb'],
    ['Heroku', 55, 'idle', 'heroku-router'],
    ['GCP backend service', 30, 'lifetime', 'gcp-lb-backend'],
    ['Apache httpd', 60, 'idle', 'apache-proxy-timeout'],
    ['Kong', 60, 'idle', 'kong-read-timeout'],
    ['Varnish pipe', 60, 'idle', 'varnish-pipe-timeout'],
    ['nginx stream', 600, 'idle', 'nginx-stream-proxy-timeout'],
    ['Classic ELB', 60, 'idle', 'aws-classic-elb'],
    ['App Engine flexible', 3600, 'lifetime', 'app-engine-flex-ws'],
    ['Cisco ASA', 3600, 'idle', 'cisco-asa-conn'],
    ['FortiGate', 3600, 'idle', 'fortigate-session-ttl'],
    ['Google Cloud NAT', 1200, 'idle', 'gcp-cloud-nat'],
    ['SignalR', 30, 'idle', 'signalr-client-timeout'],
  ] as const)('%s: %i s %s is in the catalogue (%s)', (_what, n, kind, id) => {
    expect(byId.get(id)).toMatchObject({ timeoutS: n, kind });
  });
});

describe('software signs', () => {
  it('uses case-insensitive, stateless patterns and lower-case header names', () => {
    for (const s of SOFTWARE_SIGNS) {
      expect(s.pattern.flags, `${s.software} ${s.header}`).toContain('i');
      expect(s.pattern.flags, `${s.software} ${s.header}`).not.toContain('g');
      expect(s.header).toBe(s.header.toLowerCase());
    }
  });

  const found = (headers: Record<string, string>) => softwareIn(headers).map((f) => [f.sign.software, f.sign.header, f.version]);

  it.each([
    ['nginx with its version', { Server: 'nginx/1.22.1' }, [['nginx', 'server', '1.22.1']]],
    ['nginx with server_tokens off', { server: 'nginx' }, [['nginx', 'server', null]]],
    ['OpenResty', { server: 'openresty/1.21.4.1' }, [['OpenResty', 'server', '1.21.4.1']]],
    ['Apache, not Tomcat', { server: 'Apache/2.4.57 (Debian)' }, [['Apache', 'server', '2.4.57']]],
    ['Tomcat, not Apache', { server: 'Apache-Coyote/1.1' }, [['Tomcat', 'server', '1.1']]],
    ['a CloudFront Via', { via: '1.1 ce2b03db99d40501c5695fce9dfbb777.cloudfront.net (CloudFront)', 'x-amz-cf-id': 'VGNK0CozL3ipCbGWxsrGZjmArmt_pF9FmOutyCPpwbEp8I0h5uYKIQ==', 'x-cache': 'Miss from cloudfront' },
      [['CloudFront', 'via', null], ['CloudFront', 'x-amz-cf-id', null], ['CloudFront', 'x-cache', null]]],
    ['a squid Via', { Via: '1.1 proxy.corp.example (squid/5.7)' }, [['squid', 'via', '5.7']]],
    ['squid refusing a CONNECT', { Server: 'squid/6.10', 'X-Squid-Error': 'ERR_CONNECT_FAIL 111' }, [['squid', 'server', '6.10'], ['squid', 'x-squid-error', null]]],
    ['tinyproxy, before and after it dropped its version', { via: '1.1 gw (tinyproxy/1.11.1)', 'proxy-agent': 'tinyproxy' }, [['tinyproxy', 'via', '1.11.1'], ['tinyproxy', 'proxy-agent', null]]],
    ['Cloudflare', { server: 'cloudflare', 'cf-ray': '80e668787b3ec59c-SEA' }, [['Cloudflare', 'server', null], ['Cloudflare', 'cf-ray', null]]],
    ['Heroku behind vegur', { via: '1.1 vegur' }, [['Heroku', 'via', null]]],
    ['Heroku Router 2.0 behind Cloudflare', { server: 'cloudflare', via: '2.0 heroku-router' }, [['Cloudflare', 'server', null], ['Heroku', 'via', null]]],
    ['Istio is Envoy too', { server: 'istio-envoy' }, [['Envoy', 'server', null], ['Istio', 'server', null]]],
    ['Kong', { via: 'kong/3.4.2', 'x-kong-upstream-latency': '3' }, [['Kong', 'via', '3.4.2'], ['Kong', 'x-kong-upstream-latency', null]]],
    ['a self-run Varnish', { via: '1.1 cache-1 (Varnish/7.1)' }, [['Varnish', 'via', '7.1']]],
    ['Fastly', { via: '1.1 varnish', 'x-served-by': 'cache-fra-etou8220046-FRA' }, [['Fastly', 'x-served-by', null], ['Fastly', 'via', null]]],
    ['an ALB error page', { server: 'awselb/2.0' }, [['AWS ALB', 'server', '2.0']]],
    ['Google front end', { server: 'Google Frontend', via: '1.1 google' }, [['Google Frontend', 'server', null], ['Google Frontend', 'via', null]]],
    ['Fly.io', { server: 'Fly/a40a59d0 (2022-05-06)', via: '1.1 fly.io', 'fly-request-id': '01H...' }, [['Fly.io', 'server', 'a40a59d0'], ['Fly.io', 'via', null], ['Fly.io', 'fly-request-id', null]]],
    ['Railway', { server: 'railway-edge', 'x-railway-edge': 'railway/us-west2' }, [['Railway', 'server', null], ['Railway', 'x-railway-edge', null]]],
    ['Python websockets', { server: 'Python/3.12 websockets/13.1' }, [['Python websockets', 'server', '13.1']]],
    ['an unknown server', { server: 'Foo/1.2' }, []],
    ['no headers at all', {}, []],
  ])('%s', (_what, headers: Record<string, string>, expected) => {
    expect(found(headers)).toEqual(expected);
  });

  it('returns the header value it matched', () => {
    expect(softwareIn({ Via: '1.1 proxy (squid/5.7)' })[0]).toMatchObject({ value: '1.1 proxy (squid/5.7)', version: '5.7', sign: { software: 'squid', side: 'either', role: 'forward-proxy' } });
  });
});
