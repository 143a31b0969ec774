/**
 * One instant per answer (issue 19): a report's reads share one snapshot, so a batch stored
 * while they run is in all of them or in none, and the path page's parts count the same rows.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { count } from 'drizzle-orm';
import type { Database, Executor } from '../../db/client';
import { storeBatch } from '../../db/queries/ingest';
import { pathDetail } from '../../db/queries/path-detail';
import { addProbe } from '../../db/queries/probes';
import { readsInOneSnapshot } from '../../db/queries/snapshot-reads';
import { canarySessions } from '../../db/schema';
import { BUILTIN_LAYERS } from '../../lib/analysis/catalogue';
import type { IngestEvent } from '../../lib/contracts/ingest';
import { backends, openScratchPostgres } from '../helpers/databases';
import { ended, opened, T0 } from '../helpers/events';

const at = (ms: number) => new Date(T0.getTime() + ms);
const sessionsIn = async (ex: Executor) => (await ex.select({ n: count() }).from(canarySessions))[0]!.n;

function batch(prefix: string, n: number, startMs: number): IngestEvent[] {
  const out: IngestEvent[] = [];
  for (let i = 0; i < n; i++) {
    const id = `${prefix}-${String(i).padStart(3, '0')}-aaaa`;
    out.push(opened(id, {}, at(startMs + i * 1000)));
    out.push(ended(id, 20_000, {}, at(startMs + i * 1000)));
  }
  return out;
}

describe.each(backends())('reads in one snapshot on $name', (backend) => {
  let database: Database;
  let probeId: number;
  beforeAll(async () => {
    database = await backend.open();
    probeId = (await addProbe(database.db, { name: 'edge-1', labels: {} })).probe.id;
    await storeBatch(database.db, probeId, batch('first', 5, 0), at(3_600_000));
  });
  afterAll(() => database.close());

  it('a batch stored between two reads is seen by neither (PostgreSQL: the write on another connection)', async () => {
    // PGlite has one connection: a write waits for the reads' transaction, so none can land between them.
    if (backend.name === 'pglite') return;
    let firstRead!: () => void;
    const afterFirst = new Promise<void>((resolve) => (firstRead = resolve));
    let stored!: () => void;
    const afterStore = new Promise<void>((resolve) => (stored = resolve));
    const reads = readsInOneSnapshot(database.db, [
      async (ex: Executor) => {
        const n = await sessionsIn(ex);
        firstRead();
        return n;
      },
      async (ex: Executor) => {
        await afterStore;
        return sessionsIn(ex);
      },
    ] as const);
    await afterFirst;
    await storeBatch(database.db, probeId, batch('between', 3, 60_000), at(3_600_000));
    stored();
    const [a, b] = await reads;
    expect(a).toBe(5);
    expect(b).toBe(5);
    expect(await sessionsIn(database.db)).toBe(8);
  });

  it('runs the reads one after another in one transaction', async () => {
    const [a, b] = await readsInOneSnapshot(database.db, [sessionsIn, sessionsIn] as const);
    expect(a).toBe(b);
  });

  it('the path page\'s parts agree for one instant: summary, timeline and session table count the same sessions', async () => {
    const scope = { from: at(-3_600_000), to: at(2 * 3_600_000) };
    const d = await pathDetail(database.db, { target: 'canary', proxy: 'direct' }, scope, at(2 * 3_600_000), { layers: BUILTIN_LAYERS });
    const total = await sessionsIn(database.db);
    expect(d.summary!.attempts).toBe(total);
    expect(d.timeline.total).toBe(total);
    expect(d.sessions).toHaveLength(total);
    expect(d.summary!.drops).toBe(d.sessions.filter((s) => s.endKind !== null && s.endKind !== 'probe_closed').length);
  });
});

/**
 * The path page on a small pool, more pages at once than connections (issue 19 review):
 * reads that each held a connection while waiting for more of them hung the pool for good
 * (postgres.js waits for a free connection without a timeout). Every page must finish.
 */
describe.skipIf(!process.env.TEST_DATABASE_URL)('the path page on a pool of two connections', () => {
  const POOL = 2;
  let database: Database;
  beforeAll(async () => {
    database = await openScratchPostgres(process.env.TEST_DATABASE_URL!, { poolSize: POOL });
    const probeId = (await addProbe(database.db, { name: 'edge-1', labels: {} })).probe.id;
    await storeBatch(database.db, probeId, batch('first', 5, 0), at(3_600_000));
  });
  afterAll(() => database.close());

  it(`${POOL + 2} pages at once all finish (no connection waits for another)`, async () => {
    const scope = { from: at(-3_600_000), to: at(2 * 3_600_000) };
    const pages = Array.from({ length: POOL + 2 }, () => pathDetail(database.db, { target: 'canary', proxy: 'direct' }, scope, at(2 * 3_600_000), { layers: BUILTIN_LAYERS }));
    // A generous bound that only a hang reaches: the pages take milliseconds.
    let timer: NodeJS.Timeout | undefined;
    const hung = new Promise<'hung'>((resolve) => (timer = setTimeout(() => resolve('hung'), 20_000)));
    const outcome = await Promise.race([Promise.all(pages), hung]).finally(() => clearTimeout(timer));
    expect(outcome).not.toBe('hung');
    for (const d of outcome as Awaited<(typeof pages)[number]>[]) expect(d.summary!.attempts).toBe(5);
  }, 30_000);
});
