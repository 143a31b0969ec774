/**
 * Ingest while the database cannot be reached: 503 with Retry-After, so the probe waits and
 * resends its spool, and nothing is kept; any other storage failure stays a 500. The
 * outage itself, with a PostgreSQL the test stops and starts, is in the lab suite
 * (test/lab/postgres-outage.test.ts).
 */
import { drizzle } from 'drizzle-orm/postgres-js';
import postgres from 'postgres';
import { afterAll, describe, expect, it } from 'vitest';
import { ingestDeps } from '../../app/api/v1/ingest/deps';
import type { Db } from '../../db/client';
import { isDatabaseUnavailable } from '../../db/unavailable';
import { UNAVAILABLE_RETRY_AFTER_S } from '../../lib/http/problem';
import { ProbeGoneError } from '../../db/queries/ingest';
import { handleIngest } from '../../lib/ingest/handle-ingest';
import { createLogger } from '../../lib/log';
import { ended, opened } from '../helpers/events';

const silent = createLogger({ level: 'silent' });
// Port 1 on loopback: nothing listens, the connection is refused at once.
const client = postgres('postgres://dropscope@127.0.0.1:1/none', { max: 1, connect_timeout: 2, onnotice: () => {} });
const unreachable = drizzle(client) as unknown as Db;
afterAll(() => client.end({ timeout: 1 }));

function post(deps: ReturnType<typeof ingestDeps>) {
  const body = JSON.stringify({ events: [opened('s-down0001'), ended('s-down0001', 5000)] });
  return handleIngest(new Request('http://127.0.0.1/api/v1/ingest', { method: 'POST', headers: { authorization: `Bearer dsp_1_${'a'.repeat(43)}`, 'content-type': 'application/json' }, body }), deps);
}

describe('ingest while the database cannot be reached', () => {
  it('answers 503 with Retry-After, naming the cause, when it cannot even authenticate', async () => {
    const response = await post(ingestDeps(unreachable, { publisher: { publish() {} }, maxBodyBytes: 1 << 20, log: silent }));
    expect(response.status).toBe(503);
    expect(response.headers.get('retry-after')).toBe(String(UNAVAILABLE_RETRY_AFTER_S));
    expect(await response.json()).toMatchObject({ error: { code: 'INGEST_ERR_UNAVAILABLE', message: expect.stringContaining('nothing was kept') } });
  });

  it('answers 503 when the store loses the database mid-batch, 400 for data it refuses, 500 for any other failure, 401 for a probe deleted meanwhile', async () => {
    const deps = ingestDeps(unreachable, { publisher: { publish() {} }, maxBodyBytes: 1 << 20, log: silent, now: () => new Date(Date.parse(opened('x-xxxxxxxx').attemptedAt) + 3_600_000) });
    const authenticated = { ...deps, authenticate: async () => ({ id: 1, name: 'edge-1', kind: 'probe' as const }) };
    const lost = await post({ ...authenticated, store: () => unreachable.execute('select 1') as never });
    expect(lost.status).toBe(503);
    // Bad data is never a 500 (the probe would resend it forever): SQLSTATE classes 22 and 23.
    const bad = await post({ ...authenticated, store: async () => Promise.reject(Object.assign(new Error('value too long for type character varying(8)'), { code: '22001', column: 'close_reason' })) });
    expect(bad.status).toBe(400);
    expect(await bad.json()).toMatchObject({ error: { code: 'INGEST_ERR_REFUSED', issues: [{ path: 'events', message: expect.stringMatching(/^closeReason: value too long .*22001/) }] } });
    const failed = await post({ ...authenticated, store: async () => Promise.reject(Object.assign(new Error('syntax error at or near "selec"'), { code: '42601' })) });
    expect(failed.status).toBe(500);
    expect(await failed.json()).toMatchObject({ error: { code: 'INGEST_ERR_STORE' } });
    // A probe deleted between its token's check and the store: its token is no longer valid.
    const gone = await post({ ...authenticated, store: async () => Promise.reject(new ProbeGoneError(1)) });
    expect(gone.status).toBe(401);
    expect(gone.headers.get('www-authenticate')).toMatch(/invalid_token/);
    expect(await gone.json()).toMatchObject({ error: { code: 'INGEST_ERR_UNAUTHORIZED', message: expect.stringContaining('nothing was kept') } });
  });
});

describe('isDatabaseUnavailable', () => {
  it.each([
    [{ code: 'ECONNREFUSED' }, true],
    [{ code: 'CONNECT_TIMEOUT' }, true],
    [{ code: 'CONNECTION_CLOSED' }, true],
    [{ code: '57P01', message: 'terminating connection due to administrator command' }, true],
    [{ code: '57P03' }, true],
    [{ code: '08006' }, true],
    [{ code: '53300' }, true],
    [{ message: 'Failed query: insert ...', cause: { code: 'ECONNRESET' } }, true],
    [{ code: '22008' }, false],
    [{ code: '23505' }, false],
    [new Error('no code'), false],
    [null, false],
  ])('%j → %s', (err, expected) => {
    expect(isDatabaseUnavailable(err)).toBe(expected);
  });
});
