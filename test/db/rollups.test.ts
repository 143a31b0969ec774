/**
 * The rollups kept at ingest equal a GROUP BY over the session rows, however the
 * events arrive: shuffled, split into random batches, replayed, ends before opens, a
 * session's attempt and end in different quarter-hours, another probe reusing a session id. The
 * GROUP BY is the backfill migration itself, run in a transaction that is rolled back.
 */
import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Database, Db } from '../../db/client';
import { storeBatch } from '../../db/queries/ingest';
import { rollupBackfillStatements } from '../../db/rollups-backfill';
import { addProbe } from '../../db/queries/probes';
import type { EndKind, IngestEvent } from '../../lib/contracts/ingest';
import { backends } from '../helpers/databases';
import { ended, failed, opened, path, shuffledBatches } from '../helpers/events';
import { rng as prng } from '../lib/analysis/synthetic';

const BASE = new Date('2026-11-20T09:40:00Z');
const BACKFILL = rollupBackfillStatements();

function sessions(random: () => number, count: number): IngestEvent[] {
  const paths = [path(), path({ proxy: 'squid', kind: 'http' }), path({ target: 'chat', proxy: 'mobile', kind: 'socks5', profile: 'hb' })];
  const kinds: EndKind[] = ['close_frame', 'tcp_fin', 'tcp_reset', 'pong_timeout', 'probe_closed', 'error'];
  const pick = <T,>(xs: readonly T[]) => xs[Math.floor(random() * xs.length)]!;
  const out: IngestEvent[] = [];
  for (let i = 0; i < count; i++) {
    const id = `s-${i}`;
    const p = pick(paths);
    // Attempts spread over three hours; lifetimes up to 90 minutes cross hour edges.
    const base = new Date(BASE.getTime() + Math.floor(random() * 3 * 3_600_000));
    const r = random();
    if (r < 0.2) {
      const outcome = pick(['upgrade_refused', 'proxy_refused', 'dial_failed'] as const);
      out.push(
        failed(id, {
          path: p,
          outcome,
          httpStatus: outcome === 'upgrade_refused' ? pick([403, 426, 502]) : undefined,
          errorCode: outcome === 'dial_failed' ? pick(['ECONNREFUSED', 'ETIMEDOUT']) : undefined,
          proxyReply: outcome === 'proxy_refused' ? pick(['HTTP/1.1 403 Forbidden', 'Socks5 proxy rejected connection - NotAllowed']) : undefined,
        }, base),
      );
      continue;
    }
    if (r < 0.9) out.push(opened(id, { path: p }, base));
    if (r > 0.3) {
      const endKind = pick(kinds);
      out.push(
        ended(id, Math.floor(random() * 90 * 60_000), {
          path: p,
          endKind,
          closeCode: endKind === 'close_frame' ? pick([1000, 1001, 4000]) : endKind === 'tcp_fin' ? 1006 : undefined,
          errorCode: endKind === 'error' ? 'EPIPE' : undefined,
        }, base),
      );
    }
  }
  return out;
}

async function rollups(db: Db): Promise<{ attempts: unknown[] }> {
  const attempts = await db.execute(sql`select bucket, probe_id, target_name, proxy_name, profile, outcome::text, http_status, error_code, proxy_reply, attempts
    from attempt_rollup where attempts <> 0 order by 1, 2, 3, 4, 5, 6, 7, 8, 9`);
  const rows = (r: unknown) => JSON.parse(JSON.stringify((r as { rows?: unknown[] }).rows ?? r)) as unknown[];
  return { attempts: rows(attempts) };
}

/** The backfill's GROUP BY over the rows as they are now, without keeping its effect. */
async function recomputed(db: Db): Promise<{ attempts: unknown[] }> {
  let result: { attempts: unknown[] } | undefined;
  await db
    .transaction(async (tx) => {
      await tx.execute(sql`delete from attempt_rollup`);
      for (const statement of BACKFILL) await tx.execute(sql.raw(statement));
      result = await rollups(tx as unknown as Db);
      tx.rollback();
    })
    .catch((err: unknown) => {
      if (!result) throw err;
    });
  return result!;
}

for (const backend of backends()) {
  describe(`rollups on ${backend.name}`, () => {
    let database: Database;
    let probeA: number;
    let probeB: number;

    beforeAll(async () => {
      database = await backend.open();
      probeA = (await addProbe(database.db, { name: 'edge-a', labels: {} })).probe.id;
      probeB = (await addProbe(database.db, { name: 'edge-b', labels: {} })).probe.id;
    });
    afterAll(async () => database?.close());

    it('equal a GROUP BY over the sessions after shuffled, split and replayed batches', async () => {
      const random = prng(20261122);
      const events = sessions(random, 300);
      const batches = shuffledBatches(random, events, 40);
      const now = new Date(BASE.getTime() + 6 * 3_600_000);
      for (const batch of batches) {
        await storeBatch(database.db, probeA, batch, now);
        // A reporter that did not see the answer sends the batch again.
        if (random() < 0.2) expect((await storeBatch(database.db, probeA, batch, now)).accepted).toBe(0);
      }
      // Another probe cannot change probe A's sessions (its batch is refused whole), so not their rollups either.
      const stolen = events.filter((e) => e.type === 'session.ended').slice(0, 5).map((e) => ({ ...e, id: `${e.id}-b`, endKind: 'error' as const }));
      await expect(storeBatch(database.db, probeB, stolen, now)).rejects.toMatchObject({ code: 'INGEST_ERR_CONFLICT' });

      const kept = await rollups(database.db);
      expect(kept.attempts.length).toBeGreaterThan(20);
      expect(kept).toEqual(await recomputed(database.db));
    });

    it('equal a GROUP BY after overlapping batches: each applies only its events the ledger did not hold', async () => {
      const random = prng(20261206);
      // Session ids of their own, apart from the other test's.
      const events = sessions(random, 200).map((e) => ({ ...e, sessionId: `o-${(e as { sessionId: string }).sessionId}` }) as IngestEvent);
      const now = new Date(BASE.getTime() + 6 * 3_600_000);
      let accepted = 0;
      // Windows that overlap their predecessor: part replay, part new (the second statement's path).
      for (let start = 0; start < events.length; ) {
        const size = 5 + Math.floor(random() * 30);
        const from = Math.max(0, start - Math.floor(random() * 10));
        const batch = events.slice(from, start + size);
        // The same session twice in one batch, and an id repeated inside it.
        if (batch.length > 2 && random() < 0.3) batch.push(batch[0]!, { ...batch[1]!, id: `${batch[1]!.id}-again` });
        const stored = await storeBatch(database.db, probeA, batch, now);
        expect(stored.accepted + stored.duplicates).toBe(batch.length);
        accepted += stored.accepted;
        start += size;
      }
      const repeats = await database.db.execute(sql`select count(*)::int as n from ingested_events where event_id like '%-again'`);
      const n = Number(((repeats as { rows?: { n: number }[] }).rows ?? (repeats as unknown as { n: number }[]))[0]!.n);
      expect(accepted).toBe(events.length + n);
      expect(await rollups(database.db)).toEqual(await recomputed(database.db));
    });

    it('count each session once in the quarter-hour it was attempted', async () => {
      const at = new Date('2026-11-21T10:59:59.000Z');
      await storeBatch(database.db, probeA, [opened('edge-1', { path: path({ target: 'edge' }) }, at)], at);
      // Ends 2 s later, in the next quarter; the end arrives in a later batch.
      await storeBatch(database.db, probeA, [ended('edge-1', 2000, { path: path({ target: 'edge' }), endKind: 'close_frame', closeCode: 1001 }, at)], at);
      const rows = await database.db.execute(sql`select 'a' as t, bucket, attempts as n from attempt_rollup where target_name = 'edge' order by 1`);
      const list = JSON.parse(JSON.stringify((rows as { rows?: unknown[] }).rows ?? rows)) as { t: string; bucket: string; n: number }[];
      expect(list.map((r) => [r.t, new Date(r.bucket).toISOString(), Number(r.n)])).toEqual([['a', '2026-11-21T10:45:00.000Z', 1]]);
    });
  });
}
