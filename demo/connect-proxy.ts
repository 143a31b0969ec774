/**
 * A small HTTP CONNECT forward proxy with an idle timeout, the kind of layer dropscope
 * exists to find. The quick-start demo routes canaries through it so a newcomer sees a
 * real "exactly N seconds" signature within a minute; tests use it as a real proxy on
 * loopback. The lab suite uses squid, tinyproxy and dante for the real thing.
 */
import { createServer, type IncomingMessage, type Server } from 'node:http';
import { connect, type Socket } from 'node:net';

export interface ConnectProxyOptions {
  /** Close an idle tunnel (no byte either way) after this long, with a FIN to both sides. */
  idleTimeoutMs?: number;
  /** Required `user:password` (Basic); omitted: no authentication. */
  credentials?: string;
  /** Only these upstream ports may be reached (CONNECT to others answers 403). */
  allowPorts?: number[];
  host?: string;
}

export interface ConnectProxy {
  port: number;
  server: Server;
  /** Tunnels open right now. */
  tunnels(): number;
  close(): Promise<void>;
}

export async function startConnectProxy(options: ConnectProxyOptions = {}, port = 0): Promise<ConnectProxy> {
  const open = new Set<Socket>();
  const server = createServer((_req, res) => {
    res.writeHead(405, { server: 'dropscope-demo-proxy', 'content-type': 'text/plain' }).end('CONNECT only\n');
  });
  server.on('connect', (req: IncomingMessage, client: Socket, head: Buffer) => {
    const refuse = (status: string, extra = '') => client.end(`HTTP/1.1 ${status}\r\nServer: dropscope-demo-proxy\r\n${extra}Content-Length: 0\r\nConnection: close\r\n\r\n`);
    if (options.credentials) {
      const auth = req.headers['proxy-authorization'] ?? '';
      const expected = `Basic ${Buffer.from(options.credentials).toString('base64')}`;
      if (auth !== expected) return refuse('407 Proxy Authentication Required', 'Proxy-Authenticate: Basic realm="demo"\r\n');
    }
    const m = /^\[?([^\]]+?)\]?:(\d{1,5})$/.exec(req.url ?? '');
    if (!m) return refuse('400 Bad Request');
    const upstreamPort = Number(m[2]);
    if (options.allowPorts && !options.allowPorts.includes(upstreamPort)) return refuse('403 Forbidden');
    const upstream = connect(upstreamPort, m[1]!);
    client.on('error', () => upstream.destroy());
    upstream.on('error', () => {
      if (!client.writableEnded) refuse('502 Bad Gateway');
      client.destroy();
    });
    upstream.once('connect', () => {
      open.add(client);
      client.once('close', () => open.delete(client));
      client.write('HTTP/1.1 200 Connection Established\r\nServer: dropscope-demo-proxy\r\n\r\n');
      if (head.length > 0) upstream.write(head);
      if (options.idleTimeoutMs) {
        // Like squid's read_timeout or nginx's proxy_read_timeout: silence in both
        // directions for this long ends the tunnel, politely, with a FIN each way.
        const cut = () => {
          client.end();
          upstream.end();
        };
        client.setTimeout(options.idleTimeoutMs, cut);
        upstream.setTimeout(options.idleTimeoutMs, cut);
        // Traffic in either direction keeps both sides alive.
        client.on('data', () => upstream.setTimeout(options.idleTimeoutMs!));
        upstream.on('data', () => client.setTimeout(options.idleTimeoutMs!));
      }
      client.pipe(upstream);
      upstream.pipe(client);
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, options.host ?? '127.0.0.1', resolve);
  });
  const address = server.address();
  return {
    port: typeof address === 'object' && address ? address.port : port,
    server,
    tunnels: () => open.size,
    close: () =>
      new Promise((resolve) => {
        for (const s of open) s.destroy();
        server.close(() => resolve());
      }),
  };
}
