/**
 * The lab's proxy daemons with their generated configs, one starter each, so a file that
 * needs two of them in a chain writes the same config as the file that tests one alone.
 * Every starter returns a started {@link Daemon}; the caller stops it in afterAll.
 */
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { freePort, labDir, startDaemon, writeConfig, type Daemon } from './daemon';

/**
 * nginx with one `server` listening on loopback; `body` is the server block's content
 * (locations), given the daemon's temp dir for logs.
 */
export async function startNginx(body: string, name = 'nginx'): Promise<Daemon> {
  const dir = await labDir(name);
  const port = await freePort();
  const conf = await writeConfig(
    dir,
    'nginx.conf',
    `
daemon off;
master_process on;
worker_processes 1;
# Started as root: workers drop to nobody (Debian has no "nobody" group, hence nogroup).
user nobody nogroup;
pid ${dir}/nginx.pid;
error_log ${dir}/error.log info;
events { worker_connections 128; }
http {
  access_log ${dir}/access.log;
  client_body_temp_path ${dir}/client_body;
  proxy_temp_path ${dir}/proxy_temp;
  fastcgi_temp_path ${dir}/fastcgi_temp;
  uwsgi_temp_path ${dir}/uwsgi_temp;
  scgi_temp_path ${dir}/scgi_temp;
  server {
    listen 127.0.0.1:${port};
${body}
  }
}
`,
  );
  // -e: nginx opens its compiled-in error log before reading the config; keep it in the dir.
  return startDaemon({ name, command: 'nginx', args: ['-e', `${dir}/error.log`, '-p', dir, '-c', conf], port, dir });
}

/** The location most WebSocket deployments write: HTTP/1.1 with Upgrade/Connection passed on. */
export function wsLocation(path: string, upstreamPort: number, readTimeoutS: number): string {
  return `
    location ${path} {
      proxy_pass http://127.0.0.1:${upstreamPort};
      proxy_http_version 1.1;
      proxy_set_header Upgrade $http_upgrade;
      proxy_set_header Connection "upgrade";
      proxy_read_timeout ${readTimeoutS}s;
    }`;
}

export interface SquidOptions {
  name?: string;
  /** Ports CONNECT may reach; omitted: any. */
  connectPorts?: number[];
  /** `read_timeout`, the idle cut of a CONNECT tunnel; omitted: squid's 15 min. */
  readTimeoutS?: number;
}

/**
 * squid as a CONNECT proxy for 127.0.0.1.
 *
 * Squid's clock is whole seconds (time_t): a tunnel's deadline is "this second + N", and it
 * is checked when squid's loop next runs in a later second, so `read_timeout N` cuts
 * anywhere from N - 1 to N + 1 s after the last byte depending on where in the wall-clock
 * second the tunnel went quiet and how busy squid is. Measured with read_timeout 2, one
 * idle tunnel on an otherwise idle squid, by wall-clock phase of the open: .1 -> 3.00 s,
 * .3 -> 2.81, .5 -> 2.60, .7 -> 2.41, .9 -> 1.21; with heartbeat tunnels keeping squid's
 * loop turning: .1 -> 2.00, .5 -> 1.50, .9 -> 1.50. See {@link openJustAfterWallSecond}.
 */
export async function startSquid(options: SquidOptions = {}): Promise<Daemon> {
  const dir = await labDir(options.name ?? 'squid');
  const port = await freePort();
  const ports = options.connectPorts;
  const conf = await writeConfig(
    dir,
    'squid.conf',
    `
http_port 127.0.0.1:${port}
acl lab_clients src 127.0.0.1/32
acl CONNECT method CONNECT
${ports ? `acl lab_ports port ${ports.join(' ')}\nhttp_access deny CONNECT !lab_ports` : ''}
http_access allow CONNECT lab_clients
http_access deny all
cache deny all
cache_mem 8 MB
pid_filename ${dir}/squid.pid
cache_log ${dir}/cache.log
access_log stdio:${dir}/access.log
cache_store_log none
coredump_dir ${dir}
pinger_enable off
# Squid waits this long for open connections on SIGTERM (default 30 s).
shutdown_lifetime 1 seconds
${options.readTimeoutS !== undefined ? `read_timeout ${options.readTimeoutS} seconds` : ''}
`,
  );
  // -N: no daemon, no kid processes; -d 1: startup problems go to stderr.
  return startDaemon({ name: options.name ?? 'squid', command: 'squid', args: ['-N', '-d', '1', '-f', conf], port, dir, readyTimeoutMs: 20_000, graceMs: 5000 });
}

/**
 * Wait until just after a whole wall-clock second, so that tunnels opened now through a
 * busy squid get their deadline a full N seconds away and are cut at N s (see startSquid).
 */
export async function openJustAfterWallSecond(offsetMs = 50): Promise<void> {
  const wait = (offsetMs - (Date.now() % 1000) + 1000) % 1000;
  await new Promise((r) => setTimeout(r, wait));
}

/** tinyproxy as a CONNECT proxy: `Timeout` is its idle cut of a tunnel, to the millisecond. */
export async function startTinyproxy(options: { timeoutS: number; connectPorts: number[] }): Promise<Daemon> {
  const dir = await labDir('tinyproxy');
  const port = await freePort();
  const conf = await writeConfig(
    dir,
    'tinyproxy.conf',
    `
Port ${port}
Listen 127.0.0.1
Timeout ${options.timeoutS}
PidFile "${dir}/tinyproxy.pid"
LogLevel Info
MaxClients 32
${options.connectPorts.map((p) => `ConnectPort ${p}`).join('\n')}
`,
  );
  // -d: foreground, log to stderr. No User line: it runs as the current user (root here),
  // with a warning, instead of dropping privileges.
  return startDaemon({ name: 'tinyproxy', command: 'tinyproxy', args: ['-d', '-c', conf], port, dir });
}

/**
 * HAProxy in mode http in front of `upstreamPort`. After the 101 `timeout tunnel` replaces
 * `timeout client` and `timeout server`, which are set long so that only it can cut.
 */
export async function startHaproxy(options: { upstreamPort: number; tunnelTimeoutS: number }): Promise<Daemon> {
  const dir = await labDir('haproxy');
  const port = await freePort();
  const conf = await writeConfig(
    dir,
    'haproxy.cfg',
    `
global
  pidfile ${dir}/haproxy.pid
  maxconn 128

defaults
  mode http
  timeout connect 2s
  timeout client 30s
  timeout server 30s
  timeout tunnel ${options.tunnelTimeoutS}s

frontend lab
  bind 127.0.0.1:${port}
  default_backend canary

backend canary
  server target 127.0.0.1:${options.upstreamPort}
`,
  );
  // -db: stay in the foreground, no daemon fork; the spawned PID is HAProxy itself.
  return startDaemon({ name: 'haproxy', command: 'haproxy', args: ['-db', '-f', conf], port, dir });
}

/**
 * dante (danted) as a SOCKS4/5 server without authentication. `timeoutIoS` is its idle
 * timeout for an established session (none by default); from 2 s up it cuts one second
 * late (measured with dante 1.4.2: 2 -> 3.00 s, 3 -> 4.00 s), see {@link DANTE_LATE_MS},
 * and only while no other session of the same io process has traffic (dante.test.ts).
 */
export async function startDante(options: { name?: string; timeoutIoS?: number; blockedPort?: number } = {}): Promise<Daemon> {
  const name = options.name ?? 'dante';
  const dir = await labDir(name);
  const port = await freePort();
  const conf = await writeConfig(
    dir,
    'danted.conf',
    `
logoutput: stderr
internal: 127.0.0.1 port = ${port}
external: 127.0.0.1
socksmethod: none
clientmethod: none
# Started as root: dante needs both users named, and works as nobody.
user.privileged: root
user.unprivileged: nobody
${options.timeoutIoS !== undefined ? `timeout.io: ${options.timeoutIoS}` : ''}
client pass { from: 127.0.0.0/8 to: 0.0.0.0/0 }
${options.blockedPort !== undefined ? `socks block { from: 0.0.0.0/0 to: 127.0.0.1/32 port = ${options.blockedPort} log: error }` : ''}
socks pass { from: 127.0.0.0/8 to: 0.0.0.0/0 }
`,
  );
  // Without -D dante stays in the foreground; -N 1: one mother process, which takes its
  // children (negotiate, request, io) down with it on SIGTERM.
  return startDaemon({ name, command: 'danted', args: ['-f', conf, '-N', '1', '-p', `${dir}/danted.pid`], port, dir });
}

/** How much later than its configured value dante's `timeout.io` (≥ 2 s) cuts. */
export const DANTE_LATE_MS = 1000;

/**
 * The installed nginx's version as `nginx -v` prints it ("1.22.1" from "nginx version:
 * nginx/1.22.1", on stderr): what its Server header must claim, learnt without the header.
 */
export async function nginxVersion(): Promise<string> {
  const { stdout, stderr } = await promisify(execFile)('nginx', ['-v']);
  const m = /nginx version: nginx\/(\S+)/.exec(`${stderr}${stdout}`);
  if (!m) throw new Error(`nginxVersion: unexpected output of nginx -v: ${stderr}${stdout}`);
  return m[1]!;
}

export type LabDaemonName = 'nginx' | 'haproxy' | 'squid' | 'tinyproxy' | 'dante';

/**
 * When a daemon of the lab really cuts an idle connection for a configured timeout, ms:
 * the value plus the daemon's known lateness. nginx, HAProxy and tinyproxy cut at the value
 * (to a few ms); dante from 2 s up one second late ({@link DANTE_LATE_MS}); squid at the
 * value only for tunnels opened just after a whole wall-clock second with heartbeat tunnels
 * through the same squid ({@link startSquid}), anywhere in N ± 1 s otherwise.
 */
export function configuredCutMs(daemon: LabDaemonName, configuredS: number): number {
  return configuredS * 1000 + (daemon === 'dante' && configuredS >= 2 ? DANTE_LATE_MS : 0);
}
