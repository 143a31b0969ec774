/**
 * Retention: raw sessions live in day partitions of canary_sessions, created ahead of the
 * clock and dropped whole past DROPSCOPE_RETENTION_RAW; the week's analysis still answers
 * from the aggregates and says which parts are approximate; an hour whose rows are gone is
 * never sealed again from what is left.
 */
import { listAudit, recordAudit } from '../../db/queries/audit';
import { createPasswordUser } from '../../db/queries/users';
import { authSessions, authVerifications } from '../../db/schema';
import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Database } from '../../db/client';
import { analyzeScope } from '../../db/queries/analysis';
import { sealEndingBins } from '../../db/queries/ending-bins';
import { storeBatch } from '../../db/queries/ingest';
import { addProbe } from '../../db/queries/probes';
import { sealReportBins } from '../../db/queries/report-bins';
import { applyRetention, dayPartitions, rawSince } from '../../db/queries/retention';
import { rowsOf } from '../../db/queries/scope';
import { BUILTIN_LAYERS } from '../../lib/analysis/catalogue';
import { DAY_MS, partitionName } from '../../lib/retention/partitions';
import { backends } from '../helpers/databases';
import { sampleEvents } from '../helpers/sample-events';
import { mixture, PLANTS } from '../lib/analysis/synthetic';

/** Day 0 of the test, well before the machine's clock (the migration made days around that). */
const T = Date.parse('2026-10-01T00:00:00Z');
const POLICY = { rawMs: 30 * DAY_MS, aggregatesMs: 400 * DAY_MS };
const sessions = mixture(PLANTS, { seed: 5, perPath: 12, background: 200, jitterMs: 50 });
/** The sessions spread over days 0 and 1. */
const SPACING_MS = Math.floor((2 * DAY_MS - 3_600_000) / sessions.length);
const WEEK = { from: new Date(T - DAY_MS), to: new Date(T + 6 * DAY_MS) };

describe.each(backends())('retention on $name', (backend) => {
  let database: Database;
  let probeId: number;
  const count = async (where: string) => Number(rowsOf<{ n: string | number }>(await database.db.execute(sql.raw(`select count(*) as n from ${where}`)))[0]!.n);

  beforeAll(async () => {
    database = await backend.open();
    probeId = (await addProbe(database.db, { name: 'edge-fra-1', labels: {} })).probe.id;
  });
  afterAll(() => database.close());

  it('creates the days ahead, moving rows the default partition held for them', async () => {
    // A session of day 5 stored before its day exists lands in the default partition.
    const early = sampleEvents(sessions[0]!, 900_000, { base: T + 5 * DAY_MS - 900_000 * 1000 + 3_600_000 });
    await storeBatch(database.db, probeId, early, new Date(T + 5 * DAY_MS + 2 * 3_600_000));
    expect(await count(`canary_sessions_default`)).toBe(1);

    const created = await applyRetention(database.db, new Date(T + 12 * 3_600_000), POLICY);
    expect(created.created).toEqual([-1, 0, 1, 2, 3].map((d) => partitionName(T + d * DAY_MS)));
    const later = await applyRetention(database.db, new Date(T + 5 * DAY_MS + 3_600_000), POLICY);
    expect(later.created).toContain(partitionName(T + 5 * DAY_MS));
    expect(await count(`canary_sessions_default`)).toBe(0);
    expect(await count(partitionName(T + 5 * DAY_MS))).toBe(1);
    // Nothing to create twice.
    expect((await applyRetention(database.db, new Date(T + 5 * DAY_MS + 3_600_000), POLICY)).created).toEqual([]);
  });

  it('drops the days past the raw horizon; the week still answers from the aggregates', async () => {
    // In batches as a probe sends them, each received when its last session began.
    for (let i = 0; i < sessions.length; i += 50) {
      const events = sessions.slice(i, i + 50).flatMap((s, k) => sampleEvents(s, i + k, { base: T, spacingMs: SPACING_MS }));
      await storeBatch(database.db, probeId, events, new Date(T + (i + 50) * SPACING_MS));
    }
    const sealedAt = new Date(T + 6 * DAY_MS);
    for (let round = 0; round < 20; round++) {
      const a = await sealEndingBins(database.db, { now: sealedAt, limit: 1000 });
      const b = await sealReportBins(database.db, { now: sealedAt, limit: 1000 });
      if (a.left + b.left === 0) break;
    }
    const before = await analyzeScope(database.db, WEEK, { now: sealedAt, layers: BUILTIN_LAYERS });
    expect(before.signatures.length).toBeGreaterThan(0);
    expect(before.rawSince).toBeUndefined();
    const day0 = await count(partitionName(T));
    expect(day0).toBeGreaterThan(100);

    // 30 days and an hour after day 0 ended: day 0 (and the day before) go, day 1 stays.
    const now = new Date(T + DAY_MS + POLICY.rawMs + 3_600_000);
    const outcome = await applyRetention(database.db, now, POLICY);
    expect(outcome.dropped).toEqual([partitionName(T - DAY_MS), partitionName(T)]);
    expect(await dayPartitions(database.db)).not.toContain(partitionName(T));
    expect((await rawSince(database.db))?.toISOString()).toBe(new Date(T + DAY_MS).toISOString());
    // The ledger of events received before the horizon went with them.
    expect(outcome.deleted.ingested_events).toBeGreaterThan(0);

    const after = await analyzeScope(database.db, WEEK, { now: sealedAt, layers: BUILTIN_LAYERS });
    expect(after.rawSince).toBe(new Date(T + DAY_MS).toISOString());
    // Counts and the windows of the cuts come from the aggregates: unchanged, every one of
    // them still a signature. N and the verdict rest on members, which only the rows since
    // raw_since give; a window whose members all lay in the dropped days (squid's 60 s, all
    // on day 0) is described from the aggregates alone, and says so.
    expect(after.totalDrops).toBe(before.totalDrops);
    const windowOf = (g: (typeof before.signatures)[number]) => JSON.stringify([g.dimension, g.window.lowMs, g.window.highMs, g.count]);
    expect(after.signatures.map(windowOf).sort()).toEqual(before.signatures.map(windowOf).sort());
    const gone = after.signatures.filter((g) => g.fromAggregatesOnly);
    expect(gone.map((g) => g.key)).toEqual(['age-60.0s']);
    const [old, now60] = [before.signatures.find((g) => g.key === 'age-60.0s')!, gone[0]!];
    expect(now60).toMatchObject({ count: old.count, kind: old.kind, location: { scope: 'proxy', value: 'squid' }, software: null, endings: {}, bothEnds: null });
    expect(now60.candidates[0]?.layerId).toBe(old.candidates[0]?.layerId);
    expect(now60.verdict).toBe(old.verdict);
    // Seen to the hour: the hours that hold its drops.
    expect(Date.parse(now60.firstSeen)).toBeLessThanOrEqual(Date.parse(old.firstSeen));
    expect(Date.parse(now60.firstSeen)).toBeGreaterThan(Date.parse(old.firstSeen) - 3_600_000);
    expect(Date.parse(now60.lastSeen)).toBeGreaterThanOrEqual(Date.parse(old.lastSeen));
    expect(Date.parse(now60.lastSeen)).toBeLessThanOrEqual(Date.parse(old.lastSeen) + 3_600_000);
    // The others kept members since raw_since and are described from them, as before.
    expect(after.signatures.filter((g) => !g.fromAggregatesOnly).every((g) => g.endings && Object.keys(g.endings).length > 0)).toBe(true);

    // A late event of day 0 lands in the default partition and marks its hour; the sealer
    // drops the mark instead of sealing the hour again from what is left of its rows.
    const late = sampleEvents(sessions.find((s) => s.dropped)!, 950_000, { base: T + 3_600_000 - 950_000 * 1000 });
    await storeBatch(database.db, probeId, late, now);
    await sealEndingBins(database.db, { now, limit: 1000 });
    await sealReportBins(database.db, { now, limit: 1000 });
    expect(await count(`ending_bins_dirty where bucket < '${new Date(T + DAY_MS).toISOString()}'`)).toBe(0);
    expect((await analyzeScope(database.db, WEEK, { now: sealedAt, layers: BUILTIN_LAYERS })).totalDrops).toBe(before.totalDrops);
    // And the next pass deletes it from the default partition.
    await applyRetention(database.db, now, POLICY);
    expect(await count(`canary_sessions_default`)).toBe(0);
  });

  // Last: a pass 500 days on clears what the tests before it stored.
  it('keeps the audit log as long as the aggregates, and no expired sign-in state', async () => {
    const now = new Date(T + 500 * DAY_MS);
    const actor = { kind: 'cli', name: 'retention test' } as const;
    await recordAudit(database.db, actor, { action: 'token.create', subjectKind: 'token', subjectId: 1 }, new Date(now.getTime() - 401 * DAY_MS));
    await recordAudit(database.db, actor, { action: 'token.revoke', subjectKind: 'token', subjectId: 1 }, new Date(now.getTime() - 399 * DAY_MS));
    const user = await createPasswordUser(database.db, { email: 'kept@example.test', name: 'kept', role: 'viewer', password: 'a long enough password' }, now);
    const session = (expiresAt: Date) => ({ id: crypto.randomUUID(), token: crypto.randomUUID(), userId: user.id, expiresAt, createdAt: now, updatedAt: now });
    await database.db.insert(authSessions).values([session(new Date(now.getTime() - 1000)), session(new Date(now.getTime() + DAY_MS))]);
    await database.db.insert(authVerifications).values({ id: crypto.randomUUID(), identifier: 'x', value: 'y', expiresAt: new Date(now.getTime() - 1000), createdAt: now, updatedAt: now });

    const outcome = await applyRetention(database.db, now, POLICY);
    expect(outcome.deleted).toMatchObject({ audit_log: 1, auth_sessions: 1, auth_verifications: 1 });
    expect((await listAudit(database.db, { limit: 10 })).map((e) => e.action)).toEqual(['token.revoke']);
    expect(await database.db.select({ id: authSessions.id }).from(authSessions)).toHaveLength(1);
  });
});
