/** The oldest session's instant, for the default range fitted to a fresh install's data. */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Database } from '../../db/client';
import { earliestDataHint, earliestSession } from '../../db/queries/earliest-data';
import { storeBatch } from '../../db/queries/ingest';
import { addProbe } from '../../db/queries/probes';
import { fittedRange } from '../../lib/dashboard/scope';
import { backends } from '../helpers/databases';
import { ended, opened } from '../helpers/events';

const MIN = 60_000;
const DAY = 86_400_000;
const NOW = new Date('2026-11-22T12:00:00Z');

for (const backend of backends()) {
  describe(`earliest data on ${backend.name}`, () => {
    let database: Database;
    let probeId: number;
    beforeAll(async () => {
      database = await backend.open();
      probeId = (await addProbe(database.db, { name: 'edge-1', labels: {} })).probe.id;
    });
    afterAll(async () => database?.close());

    it('is null on an empty database, and the default range stays 24 h', async () => {
      expect(await earliestSession(database.db)).toBeNull();
      const memo = {};
      expect(await earliestDataHint(database.db, NOW, memo)).toBeNull();
      expect(fittedRange(null, NOW)).toBe('24h');
    });

    it('is the oldest attempt, whatever the order of storing; a fresh install fits a short preset', async () => {
      const sixMinutesAgo = new Date(NOW.getTime() - 6 * MIN);
      const twoMinutesAgo = new Date(NOW.getTime() - 2 * MIN);
      await storeBatch(database.db, probeId, [opened('s-new00001', {}, twoMinutesAgo), ended('s-new00001', 5000, {}, twoMinutesAgo)], NOW);
      await storeBatch(database.db, probeId, [opened('s-old00001', {}, sixMinutesAgo)], NOW);
      expect(await earliestSession(database.db)).toEqual(sixMinutesAgo);
      const memo = {};
      const hint = await earliestDataHint(database.db, NOW, memo);
      expect(hint).toEqual(sixMinutesAgo);
      expect(fittedRange(hint, NOW)).toBe('15m');
      // Still young: not remembered, the next call asks again.
      expect(Object.getOwnPropertySymbols(memo)).toHaveLength(0);
    });

    it('remembers the answer once it is older than the default range, and stops asking', async () => {
      const later = new Date(NOW.getTime() + 2 * DAY);
      const memo = {};
      expect(await earliestDataHint(database.db, later, memo)).toEqual(new Date(NOW.getTime() - 6 * MIN));
      expect(Object.getOwnPropertySymbols(memo)).toHaveLength(1);
      // A database that cannot answer is not asked again.
      const broken = { select: () => { throw new Error('asked the database again'); } } as unknown as Database['db'];
      expect(await earliestDataHint(broken, later, memo)).toEqual(new Date(NOW.getTime() - 6 * MIN));
      expect(fittedRange(await earliestDataHint(broken, later, memo), later)).toBe('24h');
    });
  });
}
