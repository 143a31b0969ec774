/**
 * A server's first contact with PostgreSQL at start (db/start-wait.ts): connection failures
 * are tried again until the wait is over, PostgreSQL's own refusals are not; and a real
 * openDatabase that starts before its PostgreSQL can be reached opens once it can.
 */
import { randomBytes } from 'node:crypto';
import { connect, createServer, type Server, type Socket } from 'node:net';
import postgres from 'postgres';
import { describe, expect, it } from 'vitest';
import { openDatabase } from '../../db/open';
import { isConnectionFailure, retryAtStart, startRetryDelayMs } from '../../db/start-wait';
import { freePort, randomLoopback } from '../helpers/ports';

const refused = Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:5432'), { code: 'ECONNREFUSED' });
const timedOut = new Error('Connection terminated due to connection timeout');

describe('isConnectionFailure', () => {
  it('is true for the connection failing, and for PostgreSQL saying "not now"', () => {
    for (const e of [refused, timedOut, Object.assign(new Error('x'), { code: 'EPIPE' }), Object.assign(new Error('x'), { code: 'CONNECT_TIMEOUT' })]) expect(isConnectionFailure(e)).toBe(true);
    for (const code of ['08006', '08001', '57P03', '53300']) expect(isConnectionFailure(Object.assign(new Error('x'), { code }))).toBe(true);
  });
  it('is false for what PostgreSQL refuses for good', () => {
    for (const code of ['28P01', '3D000', '42P01', 'XX000']) expect(isConnectionFailure(Object.assign(new Error('x'), { code }))).toBe(false);
  });
});

describe('retryAtStart', () => {
  /** A clock that sleeping moves. */
  const clock = () => {
    let t = 0;
    return { now: () => t, sleep: async (ms: number) => void (t += ms) };
  };

  it('tries again after connection failures, waiting 250 ms and doubling, until it succeeds', async () => {
    const c = clock();
    const waits: number[] = [];
    let calls = 0;
    const v = await retryAtStart(async () => (++calls < 4 ? Promise.reject(timedOut) : 'ok'), { waitMs: 30_000, ...c, onRetry: (_e, _a, ms) => waits.push(ms) });
    expect(v).toBe('ok');
    expect(waits).toEqual([250, 500, 1000]);
    expect([startRetryDelayMs(5), startRetryDelayMs(6), startRetryDelayMs(60)]).toEqual([4000, 4000, 4000]);
  });

  it('gives up with the last error once the next wait would pass the deadline', async () => {
    const c = clock();
    let calls = 0;
    await expect(retryAtStart(async () => (calls++, Promise.reject(refused)), { waitMs: 2_000, ...c })).rejects.toBe(refused);
    // 0, 250, 750, 1750: the next wait (2000 ms) would end past 2 s.
    expect(calls).toBe(4);
    expect(c.now()).toBe(1_750);
  });

  it('tries once with no wait, and never again after PostgreSQL refuses', async () => {
    let calls = 0;
    await expect(retryAtStart(async () => (calls++, Promise.reject(refused)), { waitMs: 0 })).rejects.toBe(refused);
    expect(calls).toBe(1);
    const auth = Object.assign(new Error('password authentication failed'), { code: '28P01' });
    calls = 0;
    await expect(retryAtStart(async () => (calls++, Promise.reject(auth)), { waitMs: 60_000, ...clock() })).rejects.toBe(auth);
    expect(calls).toBe(1);
  });
});

const url = process.env.TEST_DATABASE_URL;

describe.skipIf(!url)('openDatabase on a PostgreSQL not reachable yet', () => {
  it('keeps trying, and opens once a relay to it starts listening', async () => {
    const name = `dropscope_t_${randomBytes(6).toString('hex')}`;
    const admin = postgres(url!, { max: 1, onnotice: () => {} });
    await admin.unsafe(`create database ${name}`);
    const upstream = new URL(url!);
    const host = randomLoopback();
    const port = await freePort(host);
    const sockets = new Set<Socket>();
    let relay: Server | undefined;
    const startRelay = () => {
      relay = createServer((down) => {
        const up = connect(Number(upstream.port || 5432), upstream.hostname);
        for (const s of [down, up]) (sockets.add(s), s.on('error', () => {}));
        down.pipe(up).pipe(down);
      }).listen(port, host);
    };
    const via = new URL(url!);
    via.hostname = host;
    via.port = String(port);
    via.pathname = `/${name}`;
    const retries: unknown[] = [];
    try {
      const database = await openDatabase({
        kind: 'postgres',
        url: via.toString(),
        poolSize: 1,
        startWait: { waitMs: 60_000, onRetry: (err) => (retries.push(err), retries.length === 2 && startRelay()) },
      });
      try {
        expect(retries.length).toBeGreaterThanOrEqual(2);
        expect((retries[0] as { code?: string }).code).toBe('ECONNREFUSED');
        expect(await database.db.execute('select 1 as one')).toBeTruthy();
      } finally {
        await database.close();
      }
    } finally {
      for (const s of sockets) s.destroy();
      await new Promise((r) => (relay ? relay.close(r) : r(undefined)));
      await admin.unsafe(`drop database if exists ${name} with (force)`);
      await admin.end({ timeout: 5 });
    }
  }, 120_000);
});
