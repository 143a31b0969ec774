/**
 * Known timeouts of the layers WebSockets cross. Each entry is data with its source; the
 * analysis ranks them against a signature's N, kind, ending and response headers. Users add
 * their own layers (a corporate firewall, an in-house proxy) through configuration.
 *
 * `ending` is how the layer usually ends the connection as a client sees it: a FIN, an RST,
 * silence (the entry is forgotten; the next send gets an RST or nothing), or a WebSocket
 * close frame.
 *
 * Sources: the comment above each entry cites where the default was read. "Unconfirmed"
 * says which part could not be read in the vendor's own documentation or code (the value
 * came from a secondary source, or it is not stated that it applies to an upgraded
 * WebSocket). Layers whose WebSocket timeout could not be found at all are left out, with
 * the reason in a comment where the omission would surprise.
 */
import { z } from 'zod';
import { SOFTWARE_SIGNS } from './software-signs';

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
  /**
   * The product, named exactly as SOFTWARE_SIGNS names it ('nginx', 'Envoy', 'Cloudflare',
   * 'squid', ...), so that a layer identified by its headers can be tied to this entry even
   * when N is not the default. Absent when the layer shows no sign (NAT, firewalls, NLB).
   */
  software: z.string().min(1).optional(),
});
export type Layer = z.infer<typeof layerSchema>;

/**
 * A built-in entry. With `software` set and no `headerHints` of its own, the hints are that
 * software's signs, so the two tables cannot drift apart; an unknown software name throws
 * at load, which is a mistake in this file, not in anyone's input.
 */
function L(l: z.input<typeof layerSchema>): Layer {
  if (l.software === undefined) return layerSchema.parse(l);
  const signs = SOFTWARE_SIGNS.filter((s) => s.software === l.software);
  if (signs.length === 0) throw new TypeError(`catalogue entry ${l.id}: no software sign is named ${JSON.stringify(l.software)}`);
  return layerSchema.parse({ ...l, headerHints: l.headerHints ?? signs.map((s) => ({ header: s.header, pattern: s.pattern.source })) });
}

export const BUILTIN_LAYERS: readonly Layer[] = [
  // https://nginx.org/en/docs/http/ngx_http_proxy_module.html#proxy_read_timeout (default 60s);
  // nginx closes the upstream and client sockets with a FIN, no close frame.
  L({ id: 'nginx-proxy-read', name: 'nginx proxy_read_timeout', role: 'reverse-proxy', software: 'nginx', timeoutS: 60, kind: 'idle', endings: ['fin'], headerHints: [{ header: 'server', pattern: 'nginx|openresty' }], setting: 'proxy_read_timeout (and proxy_send_timeout) in the location that proxies the WebSocket' }),
  // https://kubernetes.github.io/ingress-nginx/user-guide/nginx-configuration/annotations/#custom-timeouts (default 60s)
  L({ id: 'ingress-nginx', name: 'ingress-nginx proxy-read-timeout', role: 'reverse-proxy', software: 'nginx', timeoutS: 60, kind: 'idle', endings: ['fin'], headerHints: [{ header: 'server', pattern: 'nginx' }], setting: 'the nginx.ingress.kubernetes.io/proxy-read-timeout and proxy-send-timeout annotations' }),
  // https://docs.haproxy.org/2.8/configuration.html#4-timeout%20tunnel (no default; 1h is the documented example)
  L({ id: 'haproxy-tunnel', name: 'HAProxy timeout tunnel', role: 'load-balancer', timeoutS: 3600, kind: 'idle', endings: ['fin'], setting: '`timeout tunnel` in the HAProxy backend (it replaces timeout client/server once upgraded)' }),
  L({ id: 'haproxy-client', name: 'HAProxy timeout client/server (no tunnel timeout set)', role: 'load-balancer', timeoutS: 50, kind: 'idle', endings: ['fin'], setting: '`timeout tunnel` in the HAProxy backend (50s is the common example value of timeout client/server)' }),
  // https://www.envoyproxy.io/docs/envoy/latest/faq/configuration/timeouts : route timeout 15s
  // applies to the whole upgraded stream unless disabled; stream_idle_timeout 5 min; idle_timeout 1 h.
  L({ id: 'envoy-route-timeout', name: 'Envoy route timeout', role: 'reverse-proxy', software: 'Envoy', timeoutS: 15, kind: 'lifetime', endings: ['fin', 'rst'], headerHints: [{ header: 'server', pattern: 'envoy|istio' }], setting: 'route `timeout: 0s` for the WebSocket route (Envoy/Istio)' }),
  L({ id: 'envoy-stream-idle', name: 'Envoy stream_idle_timeout', role: 'reverse-proxy', software: 'Envoy', timeoutS: 300, kind: 'idle', endings: ['fin', 'rst'], headerHints: [{ header: 'server', pattern: 'envoy|istio' }], setting: 'stream_idle_timeout of the HTTP connection manager' }),
  L({ id: 'envoy-idle', name: 'Envoy connection idle_timeout', role: 'reverse-proxy', software: 'Envoy', timeoutS: 3600, kind: 'idle', endings: ['fin'], headerHints: [{ header: 'server', pattern: 'envoy|istio' }], setting: 'common_http_protocol_options.idle_timeout' }),
  // https://developers.cloudflare.com/network/websockets/ : 100 s idle (Enterprise can raise; newer plans 120 s)
  L({ id: 'cloudflare-100', name: 'Cloudflare proxy idle timeout', role: 'cdn', software: 'Cloudflare', timeoutS: 100, kind: 'idle', endings: ['fin', 'close_frame'], headerHints: [{ header: 'server', pattern: 'cloudflare' }, { header: 'cf-ray', pattern: '.' }], setting: 'a heartbeat under 100 s (the timeout is fixed below Enterprise plans)', configurable: false }),
  L({ id: 'cloudflare-120', name: 'Cloudflare proxy idle timeout (newer plans)', role: 'cdn', software: 'Cloudflare', timeoutS: 120, kind: 'idle', endings: ['fin', 'close_frame'], headerHints: [{ header: 'server', pattern: 'cloudflare' }, { header: 'cf-ray', pattern: '.' }], setting: 'a heartbeat under 120 s', configurable: false }),
  // https://docs.aws.amazon.com/elasticloadbalancing/latest/application/application-load-balancers.html#connection-idle-timeout (60 s)
  L({ id: 'aws-alb', name: 'AWS ALB idle timeout', role: 'load-balancer', software: 'AWS ALB', timeoutS: 60, kind: 'idle', endings: ['fin'], headerHints: [{ header: 'server', pattern: 'awselb' }], setting: 'the load balancer attribute idle_timeout.timeout_seconds (up to 4000)' }),
  // https://docs.aws.amazon.com/elasticloadbalancing/latest/network/network-load-balancers.html#connection-idle-timeout ;
  // NAT gateway: https://docs.aws.amazon.com/vpc/latest/userguide/nat-gateway-troubleshooting.html (350 s, RST on next packet)
  L({ id: 'aws-nlb', name: 'AWS NLB idle timeout', role: 'load-balancer', timeoutS: 350, kind: 'idle', endings: ['silent', 'rst'], setting: 'the NLB listener tcp.idle_timeout.seconds, or a heartbeat under 350 s' }),
  L({ id: 'aws-nat-gateway', name: 'AWS NAT gateway idle timeout', role: 'nat', timeoutS: 350, kind: 'idle', endings: ['silent', 'rst'], setting: 'a heartbeat under 350 s (the NAT gateway timeout is fixed)', configurable: false }),
  L({ id: 'aws-network-firewall', name: 'AWS Network Firewall idle timeout', role: 'firewall', timeoutS: 350, kind: 'idle', endings: ['silent', 'rst'], setting: 'the firewall policy TCP idle timeout, or a heartbeat under 350 s' }),
  // https://docs.aws.amazon.com/apigateway/latest/developerguide/limits.html : 10 min idle, 2 h connection duration
  L({ id: 'aws-apigw-idle', name: 'AWS API Gateway WebSocket idle timeout', role: 'gateway', software: 'AWS API Gateway', timeoutS: 600, kind: 'idle', endings: ['close_frame', 'fin'], closeCode: 1001, headerHints: [{ header: 'x-amzn-trace-id', pattern: '.' }, { header: 'x-amz-apigw-id', pattern: '.' }], setting: 'a heartbeat under 10 min (fixed limit)', configurable: false }),
  L({ id: 'aws-apigw-lifetime', name: 'AWS API Gateway WebSocket maximum connection duration', role: 'gateway', software: 'AWS API Gateway', timeoutS: 7200, kind: 'lifetime', endings: ['close_frame', 'fin'], closeCode: 1001, headerHints: [{ header: 'x-amzn-trace-id', pattern: '.' }], setting: 'client reconnect before 2 h (fixed limit)', configurable: false }),
  // https://learn.microsoft.com/azure/load-balancer/load-balancer-tcp-idle-timeout (4 min default, silent unless TCP reset is enabled)
  L({ id: 'azure-lb', name: 'Azure Load Balancer idle timeout', role: 'load-balancer', timeoutS: 240, kind: 'idle', endings: ['silent', 'rst'], setting: 'the load-balancing rule idle timeout (4-100 min) with "TCP reset" enabled, or a heartbeat under 4 min' }),
  // https://learn.microsoft.com/azure/frontdoor/ : WebSocket 5 min idle, 4 h maximum
  L({ id: 'azure-front-door-idle', name: 'Azure Front Door WebSocket idle timeout', role: 'cdn', software: 'Azure Front Door', timeoutS: 300, kind: 'idle', endings: ['fin'], headerHints: [{ header: 'x-azure-ref', pattern: '.' }], setting: 'a heartbeat under 5 min (fixed)', configurable: false }),
  L({ id: 'azure-front-door-lifetime', name: 'Azure Front Door WebSocket maximum duration', role: 'cdn', software: 'Azure Front Door', timeoutS: 14_400, kind: 'lifetime', endings: ['fin'], headerHints: [{ header: 'x-azure-ref', pattern: '.' }], setting: 'client reconnect before 4 h (fixed)', configurable: false }),
  // https://cloud.google.com/load-balancing/docs/https#websocket_support : the backend service
  // timeout (30 s default) bounds a WebSocket "whether idle or not".
  L({ id: 'gcp-lb-backend', name: 'GCP external HTTP(S) LB backend service timeout', role: 'load-balancer', software: 'Google Frontend', timeoutS: 30, kind: 'lifetime', endings: ['fin'], headerHints: [{ header: 'via', pattern: '1\\.1 google' }, { header: 'server', pattern: 'Google Frontend' }], setting: 'the backend service timeoutSec (it caps the whole WebSocket, idle or not)' }),
  // https://cloud.google.com/run/docs/triggering/websockets : request timeout 5 min default, up to 60 min
  L({ id: 'cloud-run', name: 'Cloud Run request timeout', role: 'platform', software: 'Google Frontend', timeoutS: 300, kind: 'lifetime', endings: ['fin', 'close_frame'], headerHints: [{ header: 'server', pattern: 'Google Frontend' }], setting: 'the Cloud Run service --timeout (up to 60 min) and client reconnect' }),
  // https://devcenter.heroku.com/articles/http-routing#timeouts : 55 s rolling window
  L({ id: 'heroku-router', name: 'Heroku router idle timeout', role: 'platform', software: 'Heroku', timeoutS: 55, kind: 'idle', endings: ['fin'], headerHints: [{ header: 'via', pattern: 'vegur|heroku' }, { header: 'server', pattern: 'cowboy|heroku' }], setting: 'a heartbeat under 55 s (fixed)', configurable: false }),
  // http://www.squid-cache.org/Doc/config/read_timeout/ (15 min) and client_lifetime (1 day)
  L({ id: 'squid-read-timeout', name: 'squid read_timeout (CONNECT tunnels)', role: 'forward-proxy', software: 'squid', timeoutS: 900, kind: 'idle', endings: ['fin'], headerHints: [{ header: 'via', pattern: 'squid' }, { header: 'server', pattern: 'squid' }], setting: 'read_timeout in squid.conf' }),
  L({ id: 'squid-client-lifetime', name: 'squid client_lifetime', role: 'forward-proxy', software: 'squid', timeoutS: 86_400, kind: 'lifetime', endings: ['fin'], headerHints: [{ header: 'via', pattern: 'squid' }], setting: 'client_lifetime in squid.conf' }),
  // https://www.kernel.org/doc/Documentation/networking/nf_conntrack-sysctl.txt (5 days); kube-proxy sets 24 h
  L({ id: 'conntrack-established', name: 'Linux conntrack established timeout', role: 'nat', timeoutS: 432_000, kind: 'idle', endings: ['silent'], setting: 'net.netfilter.nf_conntrack_tcp_timeout_established' }),
  L({ id: 'kube-proxy-conntrack', name: 'kube-proxy conntrack established timeout', role: 'nat', timeoutS: 86_400, kind: 'idle', endings: ['silent'], setting: 'kube-proxy --conntrack-tcp-timeout-established' }),
  // RFC 5382 REQ-5: established-connection idle timeout at least 2 h 4 min
  L({ id: 'rfc5382-nat', name: 'NAT established idle timeout (RFC 5382 minimum)', role: 'nat', timeoutS: 7440, kind: 'idle', endings: ['silent'], setting: 'a heartbeat well under 2 h (carrier NAT often forgets much sooner)', configurable: false }),
  // https://socket.io/docs/v4/server-options/#pinginterval : 25 s interval + 20 s timeout
  L({ id: 'socket-io-ping', name: 'Socket.IO ping interval + timeout', role: 'library', timeoutS: 45, kind: 'idle', endings: ['close_frame', 'fin'], setting: 'the client must answer Socket.IO pings (pingInterval 25 s + pingTimeout 20 s)' }),
  // https://tinyproxy.github.io/ : Timeout 600 s in the shipped tinyproxy.conf
  L({ id: 'tinyproxy-timeout', name: 'tinyproxy Timeout', role: 'forward-proxy', software: 'tinyproxy', timeoutS: 600, kind: 'idle', endings: ['fin'], headerHints: [{ header: 'server', pattern: 'tinyproxy' }, { header: 'via', pattern: 'tinyproxy' }], setting: 'Timeout in tinyproxy.conf' }),

  // ---- Reverse proxies and gateways ----------------------------------------------------
  // proxy_send_timeout (also 60 s) has no entry of its own: it only runs while nginx is
  // writing to a peer that does not read, so it cannot cut an idle WebSocket.
  // https://nginx.org/en/docs/stream/ngx_stream_proxy_module.html#proxy_timeout : "Default:
  // proxy_timeout 10m", between two successive reads or writes, for L4 (stream) proxying.
  L({ id: 'nginx-stream-proxy-timeout', name: 'nginx stream proxy_timeout (TCP proxying)', role: 'reverse-proxy', software: 'nginx', headerHints: [], timeoutS: 600, kind: 'idle', endings: ['fin'], setting: 'proxy_timeout in the stream server block that carries the WebSocket port' }),
  // OpenResty is nginx: proxy_read_timeout 60 s (https://nginx.org/en/docs/http/websocket.html).
  L({ id: 'openresty-proxy-read', name: 'OpenResty proxy_read_timeout', role: 'reverse-proxy', software: 'OpenResty', timeoutS: 60, kind: 'idle', endings: ['fin'], setting: 'proxy_read_timeout in the location that proxies the WebSocket' }),
  // https://httpd.apache.org/docs/2.4/mod/core.html#timeout (Timeout 60 since 2.4) and
  // https://httpd.apache.org/docs/2.4/mod/mod_proxy.html#proxytimeout (defaults to Timeout).
  // Since 2.4.47 mod_proxy_http tunnels the upgrade itself with the lower of the client and
  // backend socket timeouts as its idle timeout (https://github.com/apache/httpd/pull/125);
  // mod_proxy_wstunnel's ProxyWebsocketIdleTimeout defaults to 0 (none).
  L({ id: 'apache-proxy-timeout', name: 'Apache httpd ProxyTimeout / Timeout', role: 'reverse-proxy', software: 'Apache', timeoutS: 60, kind: 'idle', endings: ['fin'], setting: 'ProxyTimeout (or the timeout= parameter of the ProxyPass) for the WebSocket path' }),
  // Debian and Ubuntu ship apache2.conf with "Timeout 300" (noted in
  // https://gerrit.googlesource.com/k8s-gerrit/+/e1d07fff3a7bfd8faa8e83b4f315d926786a8902%5E%21/).
  L({ id: 'apache-timeout-debian', name: 'Apache httpd Timeout as shipped by Debian/Ubuntu', role: 'reverse-proxy', software: 'Apache', timeoutS: 300, kind: 'idle', endings: ['fin'], setting: 'ProxyTimeout for the WebSocket path (apache2.conf sets Timeout 300)' }),
  // https://github.com/Kong/kong/blob/master/kong/db/schema/entities/services.lua :
  // read_timeout and write_timeout default 60000 ms; Kong hands them to nginx's proxy timeouts.
  L({ id: 'kong-read-timeout', name: 'Kong service read_timeout', role: 'gateway', software: 'Kong', timeoutS: 60, kind: 'idle', endings: ['fin'], setting: 'read_timeout (and write_timeout) of the Kong Service, in milliseconds' }),
  // https://github.com/varnishcache/varnish-cache/blob/master/include/tbl/params.h : pipe_timeout
  // default 60 s, "Idle timeout for PIPE sessions"; WebSockets cross Varnish as pipe sessions.
  L({ id: 'varnish-pipe-timeout', name: 'Varnish pipe_timeout', role: 'reverse-proxy', software: 'Varnish', timeoutS: 60, kind: 'idle', endings: ['fin'], setting: 'the varnishd parameter pipe_timeout (-p pipe_timeout=...)' }),
  // https://github.com/graygnuorg/pound/blob/master/doc/pound.texi : WSTimeOut, "how long pound
  // will wait for data from either backend or client in a connection upgraded to WebSocket",
  // default 600 s. Pound adds no header of its own.
  L({ id: 'pound-ws-timeout', name: 'Pound WSTimeOut', role: 'reverse-proxy', timeoutS: 600, kind: 'idle', endings: ['fin'], setting: 'WSTimeOut in pound.cfg (global or per backend)' }),
  // Istio's DestinationRule connectionPool.tcp.idleTimeout: "If not set, the default idle
  // timeout is 1 hour" (https://istio.io/latest/docs/reference/config/networking/destination-rule/).
  // Its VirtualService HTTP route timeout is "disabled" by default
  // (https://istio.io/latest/docs/reference/config/networking/virtual-service/#HTTPRoute),
  // so envoy-route-timeout does not apply under Istio; Envoy's stream and connection idle
  // timeouts above still do (unconfirmed whether Istio overrides them). Contour, Emissary and Gloo
  // also run Envoy: their overrides of these defaults could not be confirmed, so they have no
  // entries of their own (Server: envoy ties them to the Envoy ones). Linkerd: no WebSocket
  // timeout found.
  L({ id: 'istio-tcp-idle', name: 'Istio TCP idle timeout (DestinationRule connectionPool.tcp.idleTimeout)', role: 'reverse-proxy', software: 'Istio', timeoutS: 3600, kind: 'idle', endings: ['fin'], setting: 'connectionPool.tcp.idleTimeout in the DestinationRule' }),
  // Traefik has no entry: respondingTimeouts.idleTimeout (180 s) only covers idle keep-alive
  // connections, and its maintainers confirm Traefik does not time out WebSockets
  // (https://github.com/traefik/traefik/issues/8668, #10627); readTimeout (60 s since
  // v2.11.2 / v3.0) bounds reading the request. Caddy has none either: reverse_proxy's
  // stream_timeout has no default, and stream_close_delay (default 0) only closes streams on a
  // config reload, at no fixed N (https://caddyserver.com/docs/caddyfile/directives/reverse_proxy).

  // ---- Application servers and libraries (the target's own stack) ------------------------
  // https://github.com/nginx/unit/blob/master/src/nxt_router.c : websocket read_timeout 60 s,
  // keepalive_interval 30 s. Unit pings idle clients every 30 s, so only a client that does not
  // answer pings is cut. The ending is unconfirmed.
  L({ id: 'nginx-unit-ws-read', name: 'NGINX Unit WebSocket read_timeout', role: 'library', software: 'NGINX Unit', timeoutS: 60, kind: 'idle', endings: ['close_frame', 'fin'], setting: 'settings.http.websocket.read_timeout in the Unit configuration' }),
  // Jetty 10-12 WebSocketConstants.DEFAULT_IDLE_TIMEOUT = 30 s
  // (https://github.com/jetty/jetty.project, jetty-websocket-core-common). Jetty 9 used 5 min
  // (unconfirmed, no entry). Whether it closes with a close frame is unconfirmed.
  L({ id: 'jetty-ws-idle', name: 'Jetty WebSocket idle timeout', role: 'library', software: 'Jetty', timeoutS: 30, kind: 'idle', endings: ['close_frame', 'fin'], setting: 'the WebSocket container idleTimeout (setIdleTimeout) in the Jetty server' }),
  // https://docs.gunicorn.org/en/stable/settings.html#timeout : "Workers silent for more than
  // this many seconds are killed and restarted", default 30. A sync worker holding a WebSocket
  // cannot notify the arbiter, so it dies 30 s after the request started, busy or not.
  L({ id: 'gunicorn-worker-timeout', name: 'gunicorn worker timeout (sync workers)', role: 'library', software: 'gunicorn', timeoutS: 30, kind: 'lifetime', endings: ['fin', 'rst'], setting: 'an async worker class (gevent, eventlet, uvicorn) for WebSocket routes, or --timeout' }),
  // https://learn.microsoft.com/aspnet/core/signalr/configuration : ClientTimeoutInterval 30 s,
  // "the server considers the client disconnected if it doesn't receive a message (including
  // keep-alive) within this interval". Only a client that speaks SignalR sends its keep-alives.
  L({ id: 'signalr-client-timeout', name: 'ASP.NET Core SignalR ClientTimeoutInterval', role: 'library', timeoutS: 30, kind: 'idle', endings: ['close_frame', 'fin'], setting: 'HubOptions.ClientTimeoutInterval (keep it twice KeepAliveInterval)' }),
  // https://hexdocs.pm/phoenix/Phoenix.Endpoint.html#socket/3 : websocket :timeout, "the timeout
  // for keeping websocket connections open after it last received data, defaults to 60_000ms".
  L({ id: 'phoenix-ws-timeout', name: 'Phoenix socket websocket timeout', role: 'library', timeoutS: 60, kind: 'idle', endings: ['fin', 'close_frame'], setting: 'the websocket: [timeout: ...] option of the Phoenix socket, or the client heartbeat' }),
  // Not here, for want of a default that cuts: Tomcat (WebSocket session maxIdleTimeout 0 =
  // none), Undertow, Kestrel/ASP.NET Core (WebSocketOptions.KeepAliveTimeout defaults to
  // infinite; Kestrel's KeepAliveTimeout covers only HTTP keep-alive), uWSGI (no WebSocket
  // default found), SockJS (server heartbeats every 25 s, no cut on the WebSocket transport),
  // ActionCable (the server pings every 3 s and never drops a silent client; the 6 s stale
  // threshold is the JavaScript client's own).

  // ---- CDNs and cloud load balancers -----------------------------------------------------
  // https://docs.aws.amazon.com/elasticloadbalancing/latest/classic/config-idle-timeout.html :
  // 60 s for front-end and back-end connections.
  L({ id: 'aws-classic-elb', name: 'AWS Classic Load Balancer idle timeout', role: 'load-balancer', timeoutS: 60, kind: 'idle', endings: ['fin'], setting: 'the ConnectionSettings IdleTimeout of the Classic Load Balancer (1-3600 s)' }),
  // CloudFront quotas (https://docs.aws.amazon.com/AmazonCloudFront/latest/DeveloperGuide/cloudfront-limits.html,
  // quoted at https://repost.aws/questions/QU05nkjxdfRC2E67FGICmP3g): "Origin response timeout (idle
  // timeout) 10 min, not adjustable: if CloudFront hasn't detected any bytes sent from the origin
  // to the client within the past 10 minutes, the connection is assumed to be idle and is closed".
  // Whether the 30 s origin response timeout also applies to WebSockets is unconfirmed.
  L({ id: 'aws-cloudfront-ws-idle', name: 'CloudFront WebSocket idle timeout', role: 'cdn', software: 'CloudFront', timeoutS: 600, kind: 'idle', endings: ['fin'], setting: 'a heartbeat from the origin under 10 min (fixed)', configurable: false }),
  // Elastic Beanstalk puts its own nginx behind the ALB or Classic LB; that nginx keeps the
  // 60 s proxy_read_timeout (derived from the nginx default; unconfirmed in Beanstalk's docs).
  L({ id: 'aws-elastic-beanstalk-nginx', name: 'AWS Elastic Beanstalk nginx proxy_read_timeout', role: 'platform', software: 'nginx', timeoutS: 60, kind: 'idle', endings: ['fin'], setting: 'an .platform/nginx/conf.d file with proxy_read_timeout, and the load balancer idle timeout' }),
  // https://cloud.google.com/load-balancing/docs/l7-internal#websocket_support : the internal
  // Application Load Balancer applies the backend service timeout (30 s) to WebSockets, idle or not.
  L({ id: 'gcp-internal-lb-backend', name: 'GCP internal Application LB backend service timeout', role: 'load-balancer', software: 'Google Frontend', timeoutS: 30, kind: 'lifetime', endings: ['fin'], setting: 'the backend service timeoutSec (it caps the whole WebSocket, idle or not)' }),
  // https://learn.microsoft.com/azure/application-gateway/application-gateway-websocket : "The
  // request timeout value in HTTP Settings also applies to the WebSocket session"; its default is
  // 20 s (https://learn.microsoft.com/azure/application-gateway/configuration-http-settings).
  // Whether it counts idle time or the whole session is not stated (idle assumed).
  L({ id: 'azure-app-gateway', name: 'Azure Application Gateway request timeout', role: 'load-balancer', software: 'Azure Application Gateway', timeoutS: 20, kind: 'idle', endings: ['fin'], setting: 'the request timeout of the backend HTTP settings (1-86400 s)' }),
  // DigitalOcean Load Balancer: http_idle_timeout_seconds, default 60
  // (https://docs.digitalocean.com/reference/ansible/reference/modules/load_balancer).
  L({ id: 'digitalocean-lb-idle', name: 'DigitalOcean Load Balancer HTTP idle timeout', role: 'load-balancer', timeoutS: 60, kind: 'idle', endings: ['fin'], setting: 'http_idle_timeout_seconds of the load balancer' }),
  // Fastly and Akamai have no entries: no default WebSocket timeout was found in their docs
  // (Fastly only says between_bytes_timeout stops applying after the WebSocket handoff).

  // ---- Platforms (PaaS routers) ----------------------------------------------------------
  // https://learn.microsoft.com/troubleshoot/azure/app-service/web-apps-performance-faqs :
  // requests time out after 230 s at App Service's front end (Azure Load Balancer). Unconfirmed
  // that it applies to an upgraded WebSocket.
  L({ id: 'azure-app-service', name: 'Azure App Service front end timeout', role: 'platform', software: 'Azure App Service', timeoutS: 230, kind: 'idle', endings: ['fin'], setting: 'a heartbeat under 230 s (fixed; enable Web sockets in the app configuration)', configurable: false }),
  // https://cloud.google.com/appengine/docs/flexible/using-websockets-and-session-affinity :
  // "Once a WebSockets connection is established, it will time out after one hour."
  L({ id: 'app-engine-flex-ws', name: 'App Engine flexible WebSocket maximum duration', role: 'platform', software: 'Google Frontend', timeoutS: 3600, kind: 'lifetime', endings: ['fin'], setting: 'client reconnect before 1 h (fixed)', configurable: false }),
  // Fly Proxy: http_options.idle_timeout is configurable (https://fly.io/docs/reference/configuration/);
  // the 60 s default is unconfirmed in Fly's docs (community report:
  // https://community.fly.io/t/60-second-timeout-for-http-server/1243).
  L({ id: 'fly-proxy-idle', name: 'Fly.io proxy idle timeout', role: 'platform', software: 'Fly.io', timeoutS: 60, kind: 'idle', endings: ['fin'], setting: '[http_service.http_options] idle_timeout in fly.toml' }),
  // Railway: the public networking reference said "Idle timeout of 900 seconds" and WebSockets
  // "may be interrupted after 2-4hrs" (https://docs.railway.com/reference/public-networking);
  // the current specs say "Max duration of 15 minutes for HTTP requests"
  // (https://docs.railway.com/networking/public-networking/specs-and-limits). Unconfirmed which
  // applies to an upgraded WebSocket today, so both are listed.
  L({ id: 'railway-edge-idle', name: 'Railway edge idle timeout', role: 'platform', software: 'Railway', timeoutS: 900, kind: 'idle', endings: ['fin'], setting: 'a heartbeat under 15 min (fixed)', configurable: false }),
  L({ id: 'railway-edge-max-duration', name: 'Railway edge maximum HTTP request duration', role: 'platform', software: 'Railway', timeoutS: 900, kind: 'lifetime', endings: ['fin'], setting: 'client reconnect before 15 min (fixed)', configurable: false }),
  // Vercel Functions close a WebSocket when the function reaches its maximum duration, 300 s by
  // default (800 s on Pro). Unconfirmed in Vercel's own docs; read in
  // https://fly.io/learn/websockets-workers-cron/, which cites them.
  L({ id: 'vercel-function-duration', name: 'Vercel Function maximum duration', role: 'platform', software: 'Vercel', timeoutS: 300, kind: 'lifetime', endings: ['close_frame', 'fin'], setting: 'maxDuration of the function (up to 800 s on Pro), and client reconnect' }),
  // No entries: Render (WebSockets supported, no timeout documented), Netlify (no inbound
  // WebSockets), AWS App Runner (no WebSocket support found), DigitalOcean App Platform (no
  // timeout documented; its responses carry server: cloudflare beside x-do-app-origin, so its
  // edge is Cloudflare and cloudflare-100 likely applies, unconfirmed).

  // ---- NAT and cloud networking ----------------------------------------------------------
  // https://cloud.google.com/compute/docs/troubleshooting : Google Cloud VPC connection tracking
  // forgets a TCP connection after 10 minutes without a packet; later inbound packets are dropped.
  L({ id: 'gcp-vpc-conntrack', name: 'Google Cloud VPC firewall connection tracking', role: 'firewall', timeoutS: 600, kind: 'idle', endings: ['silent'], setting: 'a heartbeat (or TCP keepalive) under 10 min (fixed)', configurable: false }),
  // Cloud NAT tcpEstablishedIdleTimeoutSec: "Defaults to 1200s if not set"
  // (https://cloud.google.com/compute/docs/reference/rest/v1/routers).
  L({ id: 'gcp-cloud-nat', name: 'Google Cloud NAT TCP established idle timeout', role: 'nat', timeoutS: 1200, kind: 'idle', endings: ['silent'], setting: 'the Cloud NAT --tcp-established-idle-timeout, or a heartbeat under 20 min' }),
  // Azure NAT Gateway idleTimeoutInMinutes: 4 to 120, default 4
  // (https://learn.microsoft.com/javascript/api/@azure-rest/arm-containerservice/managedclusternatgatewayprofile).
  L({ id: 'azure-nat-gateway', name: 'Azure NAT Gateway TCP idle timeout', role: 'nat', timeoutS: 240, kind: 'idle', endings: ['silent', 'rst'], setting: 'the NAT gateway idleTimeoutInMinutes (4-120), or a heartbeat under 4 min' }),
  // Carrier-grade NAT: RFC 6888 REQ-1 makes a CGN meet RFC 5382, whose minimum is rfc5382-nat above;
  // mobile carriers are known to forget sooner, but no documented value was found.

  // ---- Firewalls -------------------------------------------------------------------------
  // Cisco ASA "timeout conn": "The idle time after which a connection closes ... The default is
  // 1 hour (1:0:0)" (https://www.cisco.com/c/en/us/td/docs/security/asa/asa91/configuration/firewall/asa_91_firewall_config/conns_connlimits.html).
  // With "set connection timeout idle ... reset" it sends an RST instead of forgetting silently.
  L({ id: 'cisco-asa-conn', name: 'Cisco ASA connection idle timeout', role: 'firewall', timeoutS: 3600, kind: 'idle', endings: ['silent', 'rst'], setting: 'timeout conn (global) or set connection timeout idle in a service policy' }),
  // PAN-OS TCP session timeout, default 3600 s
  // (https://docs.paloaltonetworks.com/pan-os/10-1/pan-os-web-interface-help/device/device-setup-session/session-timeouts).
  // The value is unconfirmed in the copy of that page we could read (its table was cut off).
  L({ id: 'paloalto-tcp-timeout', name: 'Palo Alto Networks TCP session timeout', role: 'firewall', timeoutS: 3600, kind: 'idle', endings: ['silent'], setting: 'Device > Setup > Session > Session Timeouts: TCP, or the application timeout' }),
  // FortiGate "config system session-ttl / set default 3600"
  // (https://community.fortinet.com/t5/FortiGate/Technical-Tip-Default-session-timeout-value-session-ttl/ta-p/194357).
  L({ id: 'fortigate-session-ttl', name: 'FortiGate session-ttl', role: 'firewall', timeoutS: 3600, kind: 'idle', endings: ['silent'], setting: 'config system session-ttl (set default), or session-ttl in the firewall policy' }),
  // pf under pfSense and OPNsense, "Normal" optimization: tcp.established 86400 s
  // (https://docs.netgate.com/pfsense/en/latest/config/advanced-firewall-nat.html).
  L({ id: 'pf-tcp-established', name: 'pf (pfSense/OPNsense) tcp.established state timeout', role: 'firewall', timeoutS: 86_400, kind: 'idle', endings: ['silent'], setting: 'Firewall Optimization (Conservative keeps 5 days) or the TCP Established timeout' }),

  // ---- Forward proxies -------------------------------------------------------------------
  // dante sockd timeout.io (TCP): include/config.h sets SOCKD_IOTIMEOUT (older releases) and
  // SOCKD_IOTIMEOUT_TCP to 86400 s; the newest config.h we read has 0 (no timeout). Which release
  // changed it is unconfirmed, so this is the default of older installs.
  L({ id: 'dante-timeout-io', name: 'dante timeout.io', role: 'forward-proxy', timeoutS: 86_400, kind: 'idle', endings: ['fin'], setting: 'timeout.io (or timeout.io.tcp) in sockd.conf' }),
  // 3proxy: CONNECT tunnels (src/proxy.c) and SOCKS (src/socks.c) run mapsocket() with
  // timeouts[CONNECTION_L], 1800 s by default (https://github.com/3proxy/3proxy/blob/master/src/common.c).
  L({ id: '3proxy-connection-long', name: '3proxy CONNECTION_L timeout', role: 'forward-proxy', timeoutS: 1800, kind: 'idle', endings: ['fin'], setting: 'the sixth value of the timeouts line in 3proxy.cfg' }),
  // Privoxy socket-timeout: "If unset, a default value of 300 seconds is used"
  // (https://www.privoxy.org/user-manual/config.html#SOCKET-TIMEOUT). Unconfirmed that it bounds
  // an established CONNECT tunnel.
  L({ id: 'privoxy-socket-timeout', name: 'Privoxy socket-timeout', role: 'forward-proxy', timeoutS: 300, kind: 'idle', endings: ['fin'], setting: 'socket-timeout in the Privoxy config' }),
];

/** Parse user-supplied layers (for example from DROPSCOPE_LAYERS_FILE); throws with the field path. */
export const userLayersSchema = z.array(layerSchema.extend({ role: layerSchema.shape.role.default('custom') }));
