/**
 * Canaries through in-process proxies from well-kept npm packages (the lab suite runs the
 * real daemons): `proxy` for HTTP CONNECT, `simple-socks` for SOCKS5 with and without
 * credentials. Dial phases are timed, refusals recorded as the proxy's, idle cuts timed.
 */
import { createServer, type Server } from 'node:http';
import { createProxy } from 'proxy';
import { createServer as createSocksServer } from 'simple-socks';
import { afterEach, describe, expect, it } from 'vitest';
import { runAttempt, type CanaryDeps } from '../../agent/canary';
import { BUILTIN_PROFILES, toProxyConfig, type PlannedCanary } from '../../agent/config';
import type { AttemptFailed, IngestEvent, SessionEnded, SessionOpened } from '../../lib/contracts/ingest';
import { attachCanaryTarget, createCanaryTarget } from '../../target/canary-target';

const cleanups: (() => unknown)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

async function listen(server: import('node:net').Server): Promise<number> {
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  cleanups.push(() => new Promise((r) => server.close(() => r(undefined))));
  return (server.address() as { port: number }).port;
}

async function target(): Promise<number> {
  const t = createCanaryTarget({ name: 'npm-proxies', onSessionEnded: () => {} });
  const server = createServer();
  attachCanaryTarget(server, t);
  cleanups.push(() => t.close());
  return listen(server);
}

/**
 * `target`: the canary target's port on 127.0.0.1, or a whole URL. `stopOnOpen`: stop the
 * canary as soon as it opened (the probe's stop: it ends as probe_closed), rather than after
 * a fixed time that a slow upgrade on a loaded machine could outlast.
 */
async function attempt(target: number | string, proxyUrl: string, stopOnOpen = false) {
  const canary: PlannedCanary = {
    key: 'k',
    target: { name: 't', url: typeof target === 'number' ? `ws://127.0.0.1:${target}/canary` : target, headers: {}, subprotocols: [], tls: { verify: true } },
    proxy: toProxyConfig({ name: 'p', url: proxyUrl }),
    profile: BUILTIN_PROFILES[0]!,
    profileLabel: 'idle',
  };
  const events: IngestEvent[] = [];
  const stop = new AbortController();
  // A dial deadline only a hang reaches: these dials succeed or are refused.
  const deps: CanaryDeps = { emit: (e) => events.push(e), clock: () => performance.now(), wall: () => new Date(), dialTimeoutMs: 30_000, stop: stop.signal, ...(stopOnOpen && { onOpen: () => stop.abort() }) };
  await runAttempt(canary, deps);
  return {
    events,
    opened: events.find((e): e is SessionOpened => e.type === 'session.opened'),
    ended: events.find((e): e is SessionEnded => e.type === 'session.ended'),
    failed: events.find((e): e is AttemptFailed => e.type === 'attempt.failed'),
  };
}

describe('through the `proxy` package (HTTP CONNECT)', () => {
  it('opens with the proxy handshake timed, and keeps its refusal apart', async () => {
    const port = await target();
    const server = createProxy(createServer());
    server.authenticate = (req) => req.headers['proxy-authorization'] === `Basic ${Buffer.from('u:right').toString('base64')}`;
    const proxyPort = await listen(server);
    const ok = await attempt(port, `http://u:right@127.0.0.1:${proxyPort}`, true);
    expect(ok.opened!.timings.proxyMs).toBeGreaterThan(0);
    expect(ok.ended).toMatchObject({ endKind: 'probe_closed', closeCode: 1001 });
    const refused = await attempt(port, `http://u:wrong@127.0.0.1:${proxyPort}`);
    expect(refused.failed).toMatchObject({ outcome: 'proxy_refused', errorCode: 'PROXY_HTTP_407' });
  });
});

describe('through `simple-socks` (SOCKS5)', () => {
  it('opens without and with credentials, and times the SOCKS handshake', async () => {
    const port = await target();
    const open = await listen(createSocksServer());
    const r = await attempt(port, `socks5://127.0.0.1:${open}`, true);
    expect(r.opened!.timings.proxyMs).toBeGreaterThan(0);
    expect(r.opened!.path.proxy).toEqual({ name: 'p', kind: 'socks5', url: `socks5://127.0.0.1:${open}` });
    const authed = await listen(createSocksServer({ authenticate: (u, p, _s, cb) => cb(u === 'u' && p === 'pw' ? undefined : new Error('denied')) }));
    expect((await attempt(port, `socks5://u:pw@127.0.0.1:${authed}`, true)).opened).toBeDefined();
    const bad = await attempt(port, `socks5://u:nope@127.0.0.1:${authed}`);
    expect(bad.failed).toMatchObject({ outcome: 'proxy_refused' });
  });

  it('records a destination the proxy refuses as the proxy\'s refusal, with its reply', async () => {
    const port = await target();
    const socks = await listen(createSocksServer({ connectionFilter: (_d, _o, cb) => cb(new Error('blocked')) }));
    const r = await attempt(port, `socks5://127.0.0.1:${socks}`);
    expect(r.failed).toMatchObject({ outcome: 'proxy_refused' });
    expect(r.failed!.proxyReply).toMatch(/Socks5 proxy rejected connection/);
  });

  // What the analysis groups by: a rule (reply 2), a closed target port (reply 5) and a
  // refused login each have their own code, the same on every run.
  it('tells a rule, a closed target port and refused credentials apart by a stable errorCode', async () => {
    const port = await target();
    const ruled = await listen(createSocksServer({ connectionFilter: (_d, _o, cb) => cb(new Error('blocked')) }));
    const open = await listen(createSocksServer());
    const authed = await listen(createSocksServer({ authenticate: (u, p, _s, cb) => cb(u === 'u' && p === 'pw' ? undefined : new Error('denied')) }));

    const rule = await attempt(port, `socks5://127.0.0.1:${ruled}`);
    expect(rule.failed).toMatchObject({ outcome: 'proxy_refused', errorCode: 'SOCKS_NOTALLOWED', proxyReply: 'Socks5 proxy rejected connection - NotAllowed' });
    expect(rule.failed!.errorMessage).toMatch(/\(SOCKS5 reply 2\)$/);

    const refused = await attempt(`ws://127.0.0.2:${await closedPort()}/canary`, `socks5://127.0.0.1:${open}`);
    expect(refused.failed).toMatchObject({ outcome: 'proxy_refused', errorCode: 'SOCKS_CONNECTIONREFUSED', proxyReply: 'Socks5 proxy rejected connection - ConnectionRefused' });
    expect(refused.failed!.errorMessage).toMatch(/\(SOCKS5 reply 5\)$/);

    // simple-socks answers a bad login with RFC 1929 status 0xff and then echoes the rest of the
    // request: the library calls that an internal error; the status byte says what it is.
    const login = await attempt(port, `socks5://u:wrong-password@127.0.0.1:${authed}`);
    expect(login.failed).toMatchObject({ outcome: 'proxy_refused', errorCode: 'SOCKS_AUTH_FAILED', proxyReply: 'Socks5 authentication failed (status 255)' });
    expect(JSON.stringify(login.events)).not.toContain('wrong-password');
  });
});

/** A port nothing listens on, on a loopback address no other test binds. */
async function closedPort(): Promise<number> {
  const s = createServer();
  await new Promise<void>((r) => s.listen(0, '127.0.0.2', () => r()));
  const port = (s.address() as { port: number }).port;
  await new Promise((r) => s.close(() => r(undefined)));
  return port;
}
