/**
 * The plan fetcher against a real node:http server on 127.0.0.1, port 0. The fetcher's waits
 * go through a timers seam the test holds: each wait is recorded, and the test runs the next
 * poll itself, so pacing is asserted without a wall clock.
 */
import { createServer, type IncomingHttpHeaders, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { startPlanFetcher, type PlanFetcher } from '../../../agent/plan/fetcher';
import type { Timers } from '../../../agent/reporter';
import { PLAN_PATH, type ServerPlan } from '../../../lib/contracts/plan';
import { createLogger } from '../../../lib/log';
import { VERSION_A, VERSION_B, wirePlan } from './fixtures';

const TOKEN = `dsp_5_${'f'.repeat(43)}`;
const POLL_MS = 15_000;

describe('plan fetcher', () => {
  let server: Server;
  let url: string;
  let answer: (res: ServerResponse, headers: IncomingHttpHeaders) => void;
  let requests: { path: string; headers: IncomingHttpHeaders }[];
  let waits: number[];
  let pending: (() => void)[];
  let logs: { level: number; msg: string }[];
  let logText: string;
  let plans: { plan: ServerPlan; etag: string | null; wire: unknown }[];
  let invalid: { issues: { path: string; message: string }[]; version: string }[];
  let fetcher: PlanFetcher | undefined;

  beforeEach(async () => {
    requests = [];
    waits = [];
    pending = [];
    logs = [];
    logText = '';
    plans = [];
    invalid = [];
    server = createServer((req, res) => {
      requests.push({ path: req.url ?? '', headers: req.headers });
      answer(res, req.headers);
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterEach(async () => {
    await fetcher?.stop();
    fetcher = undefined;
    server.closeAllConnections();
    await new Promise((r) => server.close(r));
    expect(logText).not.toContain(TOKEN);
  });

  /** A fetcher whose waits are recorded and run by `next()`; random() = 0.5: no jitter. */
  function start(over: { unauthorizedRetryMs?: number; absentPollMs?: number; requestTimeoutMs?: number; etag?: string } = {}) {
    const timers: Timers = {
      setTimeout: (fn, ms) => {
        waits.push(ms);
        pending.push(fn);
        return pending.length - 1;
      },
      clearTimeout: (h) => {
        pending[h as number] = () => {};
      },
    };
    const log = createLogger({
      level: 'info',
      destination: {
        write: (s: string) => {
          logText += s;
          logs.push(JSON.parse(s) as { level: number; msg: string });
        },
      },
    });
    fetcher = startPlanFetcher({
      backendUrl: url,
      token: TOKEN,
      pollMs: POLL_MS,
      log,
      timers,
      random: () => 0.5,
      onPlan: (plan, etag, wire) => void plans.push({ plan, etag, wire }),
      onInvalid: (issues, version) => void invalid.push({ issues, version }),
      ...over,
    });
    return fetcher;
  }
  /** Let the scheduled poll run now, and wait for its handling. */
  async function next() {
    const fn = pending.at(-1);
    if (!fn) throw new Error('no poll scheduled');
    const before = requests.length;
    fn();
    const outcome = await fetcher!.poll();
    expect(requests.length).toBe(before + 1);
    return outcome;
  }

  const json = (status: number, body: unknown, headers: Record<string, string> = {}) => (res: ServerResponse) =>
    res.writeHead(status, { 'content-type': 'application/json', ...headers }).end(typeof body === 'string' ? body : JSON.stringify(body));

  it('fetches with the bearer token, then asks with If-None-Match: a 304 changes nothing', async () => {
    answer = json(200, wirePlan(), { etag: `"${VERSION_A}"` });
    start();
    expect(waits).toEqual([0]);
    expect(await next()).toBe('plan');
    expect(requests[0]).toMatchObject({ path: PLAN_PATH, headers: { authorization: `Bearer ${TOKEN}` } });
    expect(requests[0]!.headers['if-none-match']).toBeUndefined();
    expect(plans.map((p) => [p.plan.version, p.etag])).toEqual([[VERSION_A, `"${VERSION_A}"`]]);
    expect(plans[0]!.wire).toEqual(wirePlan());
    expect(fetcher!.stats().served).toBe(true);

    answer = (res, headers) => (headers['if-none-match'] === `"${VERSION_A}"` ? res.writeHead(304).end() : json(200, wirePlan({ version: VERSION_B }), { etag: `"${VERSION_B}"` })(res));
    expect(await next()).toBe('unchanged');
    expect(requests[1]!.headers['if-none-match']).toBe(`"${VERSION_A}"`);
    expect(plans).toHaveLength(1);
    expect(waits).toEqual([0, POLL_MS, POLL_MS]);
  });

  it('starts from the cached ETag', async () => {
    answer = (res) => res.writeHead(304).end();
    start({ etag: `"${VERSION_A}"` });
    expect(await next()).toBe('unchanged');
    expect(requests[0]!.headers['if-none-match']).toBe(`"${VERSION_A}"`);
  });

  it('jitters the poll by up to ±10 %', async () => {
    answer = (res) => res.writeHead(304).end();
    for (const [random, ms] of [[0, 13_500], [1, 16_500]] as const) {
      waits = [];
      const timers: Timers = { setTimeout: (fn, w) => (waits.push(w), pending.push(fn)), clearTimeout: () => {} };
      const f = startPlanFetcher({ backendUrl: url, token: TOKEN, pollMs: POLL_MS, log: createLogger({ level: 'silent' }), timers, random: () => random, onPlan: () => {}, onInvalid: () => {} });
      await f.poll();
      expect(waits).toEqual([0, ms]);
      await f.stop();
    }
  });

  it('401: one warning, then asks every unauthorizedRetryMs until the token is accepted again', async () => {
    answer = json(401, { error: { code: 'INGEST_ERR_UNAUTHORIZED', message: 'unknown or revoked probe token' } });
    start({ unauthorizedRetryMs: 300_000 });
    expect(await next()).toBe('unauthorized');
    expect(await next()).toBe('unauthorized');
    expect(await next()).toBe('unauthorized');
    expect(waits).toEqual([0, 300_000, 300_000, 300_000]);
    expect(logs.filter((l) => /HTTP 401/.test(l.msg))).toHaveLength(1);

    answer = json(200, wirePlan(), { etag: `"${VERSION_A}"` });
    expect(await next()).toBe('plan');
    expect(waits.at(-1)).toBe(POLL_MS);
    expect(logs.at(-1)!.msg).toMatch(/accepts the probe token for its plan again/);
  });

  it('404 (a server without plans): one info line, asks again every absentPollMs; a 400 from an older server too', async () => {
    answer = json(404, { error: { code: 'API_ERR_NOT_FOUND', message: 'no such route' } });
    start({ absentPollMs: 300_000 });
    expect(await next()).toBe('absent');
    answer = json(400, { error: { code: 'INGEST_ERR_JSON', message: 'body is not valid JSON' } });
    expect(await next()).toBe('absent');
    expect(waits).toEqual([0, 300_000, 300_000]);
    expect(logs.filter((l) => /serves no plans/.test(l.msg))).toHaveLength(1);
    expect(fetcher!.stats().served).toBe(false);
  });

  it('503 and 429: waits at least Retry-After; without one, the poll', async () => {
    answer = json(503, { error: { code: 'API_ERR_UNAVAILABLE', message: 'database down' } }, { 'retry-after': '30' });
    start();
    expect(await next()).toBe('retry');
    answer = json(429, {}, { 'retry-after': '120' });
    expect(await next()).toBe('retry');
    answer = json(503, {}, { 'retry-after': '2' });
    expect(await next()).toBe('retry');
    answer = json(500, {});
    expect(await next()).toBe('retry');
    expect(waits).toEqual([0, 30_000, 120_000, POLL_MS, POLL_MS]);
    expect(fetcher!.stats().failures).toBe(4);
  });

  it('rejects a body that is not JSON or not a plan, naming the field, and remembers its ETag', async () => {
    answer = json(200, '{"version": "0123', { etag: '"broken"' });
    start();
    expect(await next()).toBe('invalid');
    expect(invalid).toEqual([{ issues: [{ path: '', message: 'the plan is not JSON' }], version: 'broken' }]);

    answer = json(200, wirePlan({ version: VERSION_B, profiles: [{ name: 'x', kind: 'nope' } as never] }), { etag: `"${VERSION_B}"` });
    expect(await next()).toBe('invalid');
    expect(invalid[1]!.version).toBe(VERSION_B);
    expect(invalid[1]!.issues.map((i) => i.path)).toEqual(['profiles.0.kind']);
    expect(requests[1]!.headers['if-none-match']).toBe('"broken"');
    answer = (res) => res.writeHead(304).end();
    expect(await next()).toBe('unchanged');
    expect(requests[2]!.headers['if-none-match']).toBe(`"${VERSION_B}"`);
    expect(plans).toEqual([]);
  });

  it('a plan that fails to apply is fetched again (its ETag not remembered)', async () => {
    answer = json(200, wirePlan(), { etag: `"${VERSION_A}"` });
    let fail = true;
    const timers: Timers = { setTimeout: (fn, ms) => (waits.push(ms), pending.push(fn)), clearTimeout: () => {} };
    fetcher = startPlanFetcher({
      backendUrl: url,
      token: TOKEN,
      pollMs: POLL_MS,
      log: createLogger({ level: 'silent' }),
      timers,
      random: () => 0.5,
      onPlan: () => {
        if (fail) throw new Error('disk on fire');
      },
      onInvalid: () => {},
    });
    expect(await fetcher.poll()).toBe('failed');
    fail = false;
    expect(await fetcher.poll()).toBe('plan');
    expect(requests.map((r) => r.headers['if-none-match'])).toEqual([undefined, undefined]);
  });

  it('403: one error line and no more requests', async () => {
    answer = json(403, { error: { code: 'PLAN_ERR_FORBIDDEN', message: 'a target token' } });
    start();
    expect(await next()).toBe('forbidden');
    expect(waits).toEqual([0]);
    expect(await fetcher!.poll()).toBe('stopped');
    expect(requests).toHaveLength(1);
    expect(logs.filter((l) => l.level === 50)).toHaveLength(1);
  });

  it('no answer within the request timeout: a failure, retried at the next poll', async () => {
    answer = () => {};
    start({ requestTimeoutMs: 50 });
    expect(await next()).toBe('failed');
    expect(waits).toEqual([0, POLL_MS]);
    expect(logs.some((l) => /could not fetch the plan/.test(l.msg))).toBe(true);
  });
});
