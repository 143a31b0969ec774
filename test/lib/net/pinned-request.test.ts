/**
 * The request goes to the address that was checked, whatever the name resolves to later
 * (DNS rebinding), with the host name kept for the Host header, TLS SNI and the
 * certificate check; redirects are answers, not followed. Real listeners on 127.0.0.1 and
 * 127.0.0.2 on one port tell the two addresses apart.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { parseAllowList } from '../../../lib/net/allow-list';
import { checkOutbound, type Lookup } from '../../../lib/net/outbound-guard';
import { postPinned } from '../../../lib/net/pinned-request';
import { startWebhookReceiver, type WebhookReceiver } from '../../helpers/webhook-receiver';

const FIXTURES = path.resolve(__dirname, '../../agent/fixtures');
const tls = { key: readFileSync(path.join(FIXTURES, 'localhost-key.pem')), cert: readFileSync(path.join(FIXTURES, 'localhost-cert.pem')) };
const LOOPBACK = parseAllowList('127.0.0.0/8');

const open: WebhookReceiver[] = [];
afterEach(async () => {
  await Promise.all(open.splice(0).map((r) => r.close()));
});
const receiver = async (...args: Parameters<typeof startWebhookReceiver>) => {
  const r = await startWebhookReceiver(...args);
  open.push(r);
  return r;
};

/** Two receivers on one port: 127.0.0.1 (the checked address) and 127.0.0.2 (a rebinding's). */
async function pair(): Promise<[WebhookReceiver, WebhookReceiver]> {
  for (let i = 0; i < 5; i++) {
    const a = await receiver({ host: '127.0.0.1' });
    const b = await receiver({ host: '127.0.0.2', port: a.port }).catch(() => null);
    if (b) return [a, b];
  }
  throw new Error('no port free on both 127.0.0.1 and 127.0.0.2');
}

const post = (url: URL, target: Awaited<ReturnType<typeof checkOutbound>>, extra: { readChars?: number; ca?: Buffer } = {}) =>
  postPinned({ url, target, headers: { 'content-type': 'application/json' }, body: '{"ok":true}', signal: AbortSignal.timeout(5000), readChars: extra.readChars ?? 0, ...(extra.ca && { ca: extra.ca }) });

describe('postPinned', () => {
  it('connects to the checked address, not to what a second resolution would give (DNS rebinding)', async () => {
    const [checked, rebound] = await pair();
    let calls = 0;
    // The first answer is checked; any later one points elsewhere.
    const rebinding: Lookup = async () => [{ address: ++calls === 1 ? '127.0.0.1' : '127.0.0.2', family: 4 }];
    const url = new URL(`http://rebind.test:${checked.port}/hook`);
    const target = await checkOutbound(url, LOOPBACK, rebinding);
    expect(await post(url, target)).toEqual({ status: 200, body: null });
    expect(calls).toBe(1);
    expect(checked.received.map((r) => [r.path, r.host])).toEqual([['/hook', `rebind.test:${checked.port}`]]);
    expect(rebound.connections).toBe(0);
  });

  it('goes where the checked address says even when the system resolver says otherwise', async () => {
    // "localhost" is 127.0.0.1 in /etc/hosts; the checked address is 127.0.0.2.
    const [system, pinned] = await pair();
    const url = new URL(`http://localhost:${system.port}/x`);
    const target = await checkOutbound(url, LOOPBACK, async () => [{ address: '127.0.0.2', family: 4 }]);
    expect((await post(url, target)).status).toBe(200);
    expect(pinned.received.map((r) => r.host)).toEqual([`localhost:${system.port}`]);
    expect(system.connections).toBe(0);
  });

  it('keeps the host name for TLS: SNI and the certificate are checked against it, not the address', async () => {
    const r = await receiver({ tls });
    const to127 = async () => [{ address: '127.0.0.1', family: 4 }];
    const good = new URL(`https://localhost:${r.port}/tls`);
    expect((await post(good, await checkOutbound(good, LOOPBACK, to127), { ca: tls.cert })).status).toBe(200);
    expect(r.received.map((x) => [x.servername, x.host])).toEqual([['localhost', `localhost:${r.port}`]]);

    // Same address, another name: the certificate (DNS:localhost, IP:127.0.0.1) does not match.
    const wrong = new URL(`https://wrong.test:${r.port}/tls`);
    await expect(post(wrong, await checkOutbound(wrong, LOOPBACK, to127), { ca: tls.cert })).rejects.toMatchObject({ code: 'ERR_TLS_CERT_ALTNAME_INVALID' });
    // And without the CA the certificate is not trusted at all.
    await expect(post(good, await checkOutbound(good, LOOPBACK, to127))).rejects.toMatchObject({ code: 'DEPTH_ZERO_SELF_SIGNED_CERT' });
    expect(r.received).toHaveLength(1);
  });

  it('answers a redirect as it is, without following it', async () => {
    const target = await receiver();
    const redirecting = await receiver({ redirectTo: `${target.url}/elsewhere` });
    const url = new URL(`${redirecting.url}/hook`);
    expect(await post(url, await checkOutbound(url, LOOPBACK), { readChars: 100 })).toEqual({ status: 302, body: `moved to ${target.url}/elsewhere` });
    expect(target.connections).toBe(0);
  });

  it('reads at most readChars of the answer, and none when told so', async () => {
    const r = await receiver();
    await r.setMode('503');
    const url = new URL(`${r.url}/x`);
    const target = await checkOutbound(url, LOOPBACK);
    expect(await post(url, target, { readChars: 8 })).toEqual({ status: 503, body: 'receiver' });
    expect(await post(url, target, { readChars: 0 })).toEqual({ status: 503, body: null });
  });
});
