/**
 * The ingest API served on node:http directly (lib/ingest/serve-node.ts, wired by
 * app/api/v1/ingest/node.ts): the same answers as the route's, through a real server on
 * port 0 and a real client. test/api/ingest.test.ts covers the handler's contract itself.
 */
import { createServer, request, type Server } from 'node:http';
import { connect, type AddressInfo } from 'node:net';
import { gzipSync } from 'node:zlib';
import { count } from 'drizzle-orm';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { ingestDeps } from '../../../app/api/v1/ingest/deps';
import { isIngestRequest } from '../../../app/api/v1/ingest/node';
import type { Database } from '../../../db/client';
import { addProbe } from '../../../db/queries/probes';
import { canarySessions, probes } from '../../../db/schema';
import { serveIngest } from '../../../lib/ingest/serve-node';
import { createLogger } from '../../../lib/log';
import { backends } from '../../helpers/databases';
import { ended, opened, T0 } from '../../helpers/events';

const LIMIT = 64 * 1024;
const silent = createLogger({ level: 'silent' });
const NOW = new Date(T0.getTime() + 86_400_000);

interface Answer {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: any;
}

describe.each(backends().slice(0, 1))('ingest on node:http ($name)', (backend) => {
  let database: Database;
  let server: Server;
  let port: number;
  let token: string;
  /**
   * The body timeout of the server under test: short, so a dribbling client is cut in a test's
   * time, yet long enough that a prompt body is never cut when a loaded machine stalls this
   * process (the server and its clients) for a moment.
   */
  const bodyTimeoutMs = 1000;

  beforeAll(async () => {
    database = await backend.open();
  });
  afterAll(async () => database.close());
  beforeEach(async () => {
    await database.db.delete(probes);
    token = (await addProbe(database.db, { name: 'node-probe', labels: {} })).token;
    server = createServer((req, res) => {
      if (!isIngestRequest(req)) return void res.writeHead(404).end();
      void serveIngest(req, res, ingestDeps(database.db, { publisher: { publish() {} }, maxBodyBytes: LIMIT, log: silent, now: () => NOW, bodyTimeoutMs }));
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    port = (server.address() as AddressInfo).port;
  });
  afterEach(async () => {
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
  });

  /** POST `body`; `chunked` sends it without a content-length. */
  function post(body: Buffer | string, headers: Record<string, string> = {}, options: { chunked?: boolean; path?: string } = {}): Promise<Answer> {
    const payload = Buffer.from(body);
    return new Promise((resolve, reject) => {
      const req = request({
        host: '127.0.0.1',
        port,
        method: 'POST',
        path: options.path ?? '/api/v1/ingest',
        headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json', ...(!options.chunked && { 'content-length': payload.length }), ...headers },
      });
      req.once('error', reject);
      req.once('response', (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.once('end', () => {
          const text = Buffer.concat(chunks).toString('utf8');
          resolve({ status: res.statusCode ?? 0, headers: res.headers, body: text ? JSON.parse(text) : null });
        });
      });
      if (options.chunked) {
        // Two writes, so the body is streamed rather than declared.
        req.write(payload.subarray(0, 10));
        req.end(payload.subarray(10));
      } else req.end(payload);
    });
  }
  const sessions = async () => (await database.db.select({ n: count() }).from(canarySessions))[0]!.n;

  it('stores a batch, plain or gzipped, and answers as the route does', async () => {
    const plain = await post(JSON.stringify({ events: [opened('s-node0001'), ended('s-node0001', 10)] }));
    expect(plain).toMatchObject({ status: 200, body: { accepted: 2, duplicates: 0 } });
    expect(plain.headers['content-type']).toMatch(/^application\/json/);
    const zipped = await post(gzipSync(JSON.stringify({ events: [opened('s-node0002')] })), { 'content-encoding': 'gzip' }, { chunked: true });
    expect(zipped).toMatchObject({ status: 200, body: { accepted: 1, duplicates: 0 } });
    expect(await sessions()).toBe(2);
  });

  it('401 without a valid token, 400 naming the field, and nothing stored', async () => {
    const unauthorized = await post('{}', { authorization: 'Bearer dsp_1_' + 'A'.repeat(43) });
    expect(unauthorized.status).toBe(401);
    expect(unauthorized.headers['www-authenticate']).toMatch(/^Bearer/);
    const bad = await post(JSON.stringify({ events: [{ ...opened('s-node0003'), openedAt: 'soon' }] }));
    expect(bad.status).toBe(400);
    expect(bad.body.error.issues.map((i: { path: string }) => i.path)).toEqual(['events.0.openedAt']);
    expect((await post('{"events": [')).body.error.code).toBe('INGEST_ERR_JSON');
    expect(await sessions()).toBe(0);
  });

  it('413 on a body over the limit, declared, streamed or inflated; 415 and 400 on encodings', async () => {
    const big = JSON.stringify({ events: [opened('s-node0004')], pad: 'y'.repeat(LIMIT) });
    const declared = await post(big);
    expect(declared.status).toBe(413);
    expect(declared.body.error.message).toBe(`body of ${Buffer.byteLength(big)} bytes exceeds the limit of ${LIMIT} bytes`);
    const streamed = await post(big, {}, { chunked: true });
    expect(streamed.status).toBe(413);
    expect(streamed.body.error.message).toBe(`body exceeds the limit of ${LIMIT} bytes`);
    const bomb = gzipSync(JSON.stringify({ events: [], pad: ' '.repeat(LIMIT * 4) }));
    const inflated = await post(bomb, { 'content-encoding': 'gzip' });
    expect(inflated.status).toBe(413);
    expect(inflated.body.error.message).toBe(`decompressed body exceeds the limit of ${LIMIT} bytes`);
    const br = await post('{}', { 'content-encoding': 'br' });
    expect(br).toMatchObject({ status: 415, body: { error: { code: 'INGEST_ERR_UNSUPPORTED_ENCODING' } } });
    const notGzip = await post('{"events":[]}', { 'content-encoding': 'gzip' });
    expect(notGzip).toMatchObject({ status: 400, body: { error: { code: 'INGEST_ERR_BAD_ENCODING' } } });
    expect(await sessions()).toBe(0);
  });

  it('408 for a body that dribbles in past the body timeout, and the socket closed; a prompt one on the same server is stored', async () => {
    const body = JSON.stringify({ events: [opened('s-node0006')] });
    const socket = connect(port, '127.0.0.1');
    socket.on('error', () => {});
    let answer = '';
    let sent = 0;
    socket.on('data', (c: Buffer) => (answer += c.toString()));
    const closed = new Promise<void>((resolve) => socket.once('close', () => resolve()));
    socket.write(
      `POST /api/v1/ingest HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer ${token}\r\nContent-Type: application/json\r\nContent-Length: ${body.length}\r\n\r\n`,
    );
    // A byte every 20 ms: the whole body (some 380 bytes) would take over 7 s, several times the limit.
    const drip = setInterval(() => {
      if (sent < body.length && !socket.destroyed) socket.write(body[sent++]!);
    }, 20);
    await closed;
    clearInterval(drip);
    expect(answer).toMatch(/^HTTP\/1\.1 408 Request Timeout\r\n/);
    expect(answer.toLowerCase()).toContain('connection: close');
    expect(JSON.parse(answer.slice(answer.indexOf('\r\n\r\n') + 4))).toEqual({
      error: { code: 'INGEST_ERR_BODY_TIMEOUT', message: `the body did not arrive within ${bodyTimeoutMs} ms; nothing was kept` },
    });
    expect(sent).toBeLessThan(body.length);
    expect(await sessions()).toBe(0);
    expect((await post(body)).status).toBe(200);
  });

  it('serves only POST /api/v1/ingest (a query string allowed); the rest stays with Next', async () => {
    expect((await post(JSON.stringify({ events: [opened('s-node0005')] }), {}, { path: '/api/v1/ingest?x=1' })).status).toBe(200);
    expect((await post('{}', {}, { path: '/api/v1/ingest/' })).status).toBe(404);
    expect((await post('{}', {}, { path: '/api/v1/ingestion' })).status).toBe(404);
  });
});
