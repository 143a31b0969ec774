/**
 * Known timeouts of the layers WebSockets cross. Each entry is data with its source; the
 * analysis ranks them against a signature's N, kind, ending and response headers. Users add
 * their own layers (a corporate firewall, an in-house proxy) through configuration.
 *
 * `ending` is how the layer usually ends the connection as a client sees it: a FIN, an RST,
 * silence (the entry is forgotten; the next send gets an RST or nothing), or a WebSocket
 * close frame.
 */
import { z } from 'zod';

export const layerKinds = ['idle', 'lifetime'] as const;
export const layerEndings = ['fin', 'rst', 'silent', 'close_frame'] as const;

export const layerSchema = z.strictObject({
  id: z.string().regex(/^[a-z0-9][a-z0-9._-]*$/),
  /** What an SRE calls it: "nginx proxy_read_timeout". */
  name: z.string().min(1),
  /** Where it sits: reverse proxy, CDN, load balancer, forward proxy, NAT, platform router, library. */
  role: z.enum(['reverse-proxy', 'cdn', 'load-balancer', 'forward-proxy', 'nat', 'platform', 'gateway', 'library', 'firewall', 'custom']),
  timeoutS: z.number().positive(),
  kind: z.enum(layerKinds),
  /** Usual endings, most typical first. */
  endings: z.array(z.enum(layerEndings)).min(1),
  /** Close code when it sends a close frame. */
  closeCode: z.number().int().optional(),
  /** Response headers that point at this layer, matched case-insensitively. */
  headerHints: z.array(z.strictObject({ header: z.string(), pattern: z.string() })).default([]),
  /** The one-line fix: the setting to raise, and where. */
  setting: z.string().min(1),
  /** True when the value is a default the operator may have changed (still worth naming). */
  configurable: z.boolean().default(true),
});
export type Layer = z.infer<typeof layerSchema>;

const L = (l: z.input<typeof layerSchema>): Layer => layerSchema.parse(l);

export const BUILTIN_LAYERS: readonly Layer[] = [
  // https://nginx.org/en/docs/http/ngx_http_proxy_module.html#proxy_read_timeout (default 60s);
  // nginx closes the upstream and client sockets with a FIN, no close frame.
  L({ id: 'nginx-proxy-read', name: 'nginx proxy_read_timeout', role: 'reverse-proxy', timeoutS: 60, kind: 'idle', endings: ['fin'], headerHints: [{ header: 'server', pattern: 'nginx|openresty' }], setting: 'proxy_read_timeout (and proxy_send_timeout) in the location that proxies the WebSocket' }),
  // https://kubernetes.github.io/ingress-nginx/user-guide/nginx-configuration/annotations/#custom-timeouts (default 60s)
  L({ id: 'ingress-nginx', name: 'ingress-nginx proxy-read-timeout', role: 'reverse-proxy', timeoutS: 60, kind: 'idle', endings: ['fin'], headerHints: [{ header: 'server', pattern: 'nginx' }], setting: 'the nginx.ingress.kubernetes.io/proxy-read-timeout and proxy-send-timeout annotations' }),
  // https://docs.haproxy.org/2.8/configuration.html#4-timeout%20tunnel (no default; 1h is the documented example)
  L({ id: 'haproxy-tunnel', name: 'HAProxy timeout tunnel', role: 'load-balancer', timeoutS: 3600, kind: 'idle', endings: ['fin'], setting: '`timeout tunnel` in the HAProxy backend (it replaces timeout client/server once upgraded)' }),
  L({ id: 'haproxy-client', name: 'HAProxy timeout client/server (no tunnel timeout set)', role: 'load-balancer', timeoutS: 50, kind: 'idle', endings: ['fin'], setting: '`timeout tunnel` in the HAProxy backend (50s is the common example value of timeout client/server)' }),
  // https://www.envoyproxy.io/docs/envoy/latest/faq/configuration/timeouts : route timeout 15s
  // applies to the whole upgraded stream unless disabled; stream_idle_timeout 5 min; idle_timeout 1 h.
  L({ id: 'envoy-route-timeout', name: 'Envoy route timeout', role: 'reverse-proxy', timeoutS: 15, kind: 'lifetime', endings: ['fin', 'rst'], headerHints: [{ header: 'server', pattern: 'envoy|istio' }], setting: 'route `timeout: 0s` for the WebSocket route (Envoy/Istio)' }),
  L({ id: 'envoy-stream-idle', name: 'Envoy stream_idle_timeout', role: 'reverse-proxy', timeoutS: 300, kind: 'idle', endings: ['fin', 'rst'], headerHints: [{ header: 'server', pattern: 'envoy|istio' }], setting: 'stream_idle_timeout of the HTTP connection manager' }),
  L({ id: 'envoy-idle', name: 'Envoy connection idle_timeout', role: 'reverse-proxy', timeoutS: 3600, kind: 'idle', endings: ['fin'], headerHints: [{ header: 'server', pattern: 'envoy|istio' }], setting: 'common_http_protocol_options.idle_timeout' }),
  // https://developers.cloudflare.com/network/websockets/ : 100 s idle (Enterprise can raise; newer plans 120 s)
  L({ id: 'cloudflare-100', name: 'Cloudflare proxy idle timeout', role: 'cdn', timeoutS: 100, kind: 'idle', endings: ['fin', 'close_frame'], headerHints: [{ header: 'server', pattern: 'cloudflare' }, { header: 'cf-ray', pattern: '.' }], setting: 'a heartbeat under 100 s (the timeout is fixed below Enterprise plans)', configurable: false }),
  L({ id: 'cloudflare-120', name: 'Cloudflare proxy idle timeout (newer plans)', role: 'cdn', timeoutS: 120, kind: 'idle', endings: ['fin', 'close_frame'], headerHints: [{ header: 'server', pattern: 'cloudflare' }, { header: 'cf-ray', pattern: '.' }], setting: 'a heartbeat under 120 s', configurable: false }),
  // https://docs.aws.amazon.com/elasticloadbalancing/latest/application/application-load-balancers.html#connection-idle-timeout (60 s)
  L({ id: 'aws-alb', name: 'AWS ALB idle timeout', role: 'load-balancer', timeoutS: 60, kind: 'idle', endings: ['fin'], headerHints: [{ header: 'server', pattern: 'awselb' }], setting: 'the load balancer attribute idle_timeout.timeout_seconds (up to 4000)' }),
  // https://docs.aws.amazon.com/elasticloadbalancing/latest/network/network-load-balancers.html#connection-idle-timeout ;
  // NAT gateway: https://docs.aws.amazon.com/vpc/latest/userguide/nat-gateway-troubleshooting.html (350 s, RST on next packet)
  L({ id: 'aws-nlb', name: 'AWS NLB idle timeout', role: 'load-balancer', timeoutS: 350, kind: 'idle', endings: ['silent', 'rst'], setting: 'the NLB listener tcp.idle_timeout.seconds, or a heartbeat under 350 s' }),
  L({ id: 'aws-nat-gateway', name: 'AWS NAT gateway idle timeout', role: 'nat', timeoutS: 350, kind: 'idle', endings: ['silent', 'rst'], setting: 'a heartbeat under 350 s (the NAT gateway timeout is fixed)', configurable: false }),
  L({ id: 'aws-network-firewall', name: 'AWS Network Firewall idle timeout', role: 'firewall', timeoutS: 350, kind: 'idle', endings: ['silent', 'rst'], setting: 'the firewall policy TCP idle timeout, or a heartbeat under 350 s' }),
  // https://docs.aws.amazon.com/apigateway/latest/developerguide/limits.html : 10 min idle, 2 h connection duration
  L({ id: 'aws-apigw-idle', name: 'AWS API Gateway WebSocket idle timeout', role: 'gateway', timeoutS: 600, kind: 'idle', endings: ['close_frame', 'fin'], closeCode: 1001, headerHints: [{ header: 'x-amzn-trace-id', pattern: '.' }, { header: 'x-amz-apigw-id', pattern: '.' }], setting: 'a heartbeat under 10 min (fixed limit)', configurable: false }),
  L({ id: 'aws-apigw-lifetime', name: 'AWS API Gateway WebSocket maximum connection duration', role: 'gateway', timeoutS: 7200, kind: 'lifetime', endings: ['close_frame', 'fin'], closeCode: 1001, headerHints: [{ header: 'x-amzn-trace-id', pattern: '.' }], setting: 'client reconnect before 2 h (fixed limit)', configurable: false }),
  // https://learn.microsoft.com/azure/load-balancer/load-balancer-tcp-idle-timeout (4 min default, silent unless TCP reset is enabled)
  L({ id: 'azure-lb', name: 'Azure Load Balancer idle timeout', role: 'load-balancer', timeoutS: 240, kind: 'idle', endings: ['silent', 'rst'], setting: 'the load-balancing rule idle timeout (4-100 min) with "TCP reset" enabled, or a heartbeat under 4 min' }),
  // https://learn.microsoft.com/azure/frontdoor/ : WebSocket 5 min idle, 4 h maximum
  L({ id: 'azure-front-door-idle', name: 'Azure Front Door WebSocket idle timeout', role: 'cdn', timeoutS: 300, kind: 'idle', endings: ['fin'], headerHints: [{ header: 'x-azure-ref', pattern: '.' }], setting: 'a heartbeat under 5 min (fixed)', configurable: false }),
  L({ id: 'azure-front-door-lifetime', name: 'Azure Front Door WebSocket maximum duration', role: 'cdn', timeoutS: 14_400, kind: 'lifetime', endings: ['fin'], headerHints: [{ header: 'x-azure-ref', pattern: '.' }], setting: 'client reconnect before 4 h (fixed)', configurable: false }),
  // https://cloud.google.com/load-balancing/docs/https#websocket_support : the backend service
  // timeout (30 s default) bounds a WebSocket "whether idle or not".
  L({ id: 'gcp-lb-backend', name: 'GCP external HTTP(S) LB backend service timeout', role: 'load-balancer', timeoutS: 30, kind: 'lifetime', endings: ['fin'], headerHints: [{ header: 'via', pattern: '1\\.1 google' }, { header: 'server', pattern: 'Google Frontend' }], setting: 'the backend service timeoutSec (it caps the whole WebSocket, idle or not)' }),
  // https://cloud.google.com/run/docs/triggering/websockets : request timeout 5 min default, up to 60 min
  L({ id: 'cloud-run', name: 'Cloud Run request timeout', role: 'platform', timeoutS: 300, kind: 'lifetime', endings: ['fin', 'close_frame'], headerHints: [{ header: 'server', pattern: 'Google Frontend' }], setting: 'the Cloud Run service --timeout (up to 60 min) and client reconnect' }),
  // https://devcenter.heroku.com/articles/http-routing#timeouts : 55 s rolling window
  L({ id: 'heroku-router', name: 'Heroku router idle timeout', role: 'platform', timeoutS: 55, kind: 'idle', endings: ['fin'], headerHints: [{ header: 'via', pattern: 'vegur|heroku' }, { header: 'server', pattern: 'cowboy|heroku' }], setting: 'a heartbeat under 55 s (fixed)', configurable: false }),
  // http://www.squid-cache.org/Doc/config/read_timeout/ (15 min) and client_lifetime (1 day)
  L({ id: 'squid-read-timeout', name: 'squid read_timeout (CONNECT tunnels)', role: 'forward-proxy', timeoutS: 900, kind: 'idle', endings: ['fin'], headerHints: [{ header: 'via', pattern: 'squid' }, { header: 'server', pattern: 'squid' }], setting: 'read_timeout in squid.conf' }),
  L({ id: 'squid-client-lifetime', name: 'squid client_lifetime', role: 'forward-proxy', timeoutS: 86_400, kind: 'lifetime', endings: ['fin'], headerHints: [{ header: 'via', pattern: 'squid' }], setting: 'client_lifetime in squid.conf' }),
  // https://www.kernel.org/doc/Documentation/networking/nf_conntrack-sysctl.txt (5 days); kube-proxy sets 24 h
  L({ id: 'conntrack-established', name: 'Linux conntrack established timeout', role: 'nat', timeoutS: 432_000, kind: 'idle', endings: ['silent'], setting: 'net.netfilter.nf_conntrack_tcp_timeout_established' }),
  L({ id: 'kube-proxy-conntrack', name: 'kube-proxy conntrack established timeout', role: 'nat', timeoutS: 86_400, kind: 'idle', endings: ['silent'], setting: 'kube-proxy --conntrack-tcp-timeout-established' }),
  // RFC 5382 REQ-5: established-connection idle timeout at least 2 h 4 min
  L({ id: 'rfc5382-nat', name: 'NAT established idle timeout (RFC 5382 minimum)', role: 'nat', timeoutS: 7440, kind: 'idle', endings: ['silent'], setting: 'a heartbeat well under 2 h (carrier NAT often forgets much sooner)', configurable: false }),
  // https://socket.io/docs/v4/server-options/#pinginterval : 25 s interval + 20 s timeout
  L({ id: 'socket-io-ping', name: 'Socket.IO ping interval + timeout', role: 'library', timeoutS: 45, kind: 'idle', endings: ['close_frame', 'fin'], setting: 'the client must answer Socket.IO pings (pingInterval 25 s + pingTimeout 20 s)' }),
  // https://tinyproxy.github.io/ : Timeout 600 s in the shipped tinyproxy.conf
  L({ id: 'tinyproxy-timeout', name: 'tinyproxy Timeout', role: 'forward-proxy', timeoutS: 600, kind: 'idle', endings: ['fin'], headerHints: [{ header: 'server', pattern: 'tinyproxy' }, { header: 'via', pattern: 'tinyproxy' }], setting: 'Timeout in tinyproxy.conf' }),
];

/** Parse user-supplied layers (for example from DROPSCOPE_LAYERS_FILE); throws with the field path. */
export const userLayersSchema = z.array(layerSchema.extend({ role: layerSchema.shape.role.default('custom') }));
