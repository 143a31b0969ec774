/** The filter bar's choices: probes from their table, paths seen in the last 30 days. */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Database } from '../../db/client';
import { storeBatch } from '../../db/queries/ingest';
import { addProbe } from '../../db/queries/probes';
import { scopeOptions } from '../../db/queries/scope';
import { backends } from '../helpers/databases';
import { opened, path } from '../helpers/events';

const DAY = 86_400_000;

for (const backend of backends()) {
  describe(`scope options on ${backend.name}`, () => {
    let database: Database;
    beforeAll(async () => {
      database = await backend.open();
    });
    afterAll(async () => database?.close());

    it('lists every recent path once, and not a path last seen 31 days ago', async () => {
      expect(await scopeOptions(database.db)).toEqual({ probes: [], labels: [], proxies: [], targets: [], profiles: [] });
      const { probe } = await addProbe(database.db, { name: 'edge-1', labels: { region: 'eu' } });
      await addProbe(database.db, { name: 'edge-2', labels: { region: 'us', tier: 'a' } });
      // Relative to the real clock: the query's 30 days are the database's now().
      const recent = new Date(Date.now() - DAY);
      const old = new Date(Date.now() - 31 * DAY);
      const events = [
        ...Array.from({ length: 5 }, (_, i) => opened(`a-${i}`, { path: path({ proxy: 'squid', kind: 'http' }) }, recent)),
        opened('b', { path: path({ target: 'chat', profile: 'hb' }) }, recent),
        opened('c', { path: path({ target: 'chat', profile: 'hb' }) }, old),
        opened('d', { path: path({ target: 'gone', proxy: 'old-proxy', kind: 'socks5', profile: 'ladder' }) }, old),
      ];
      await storeBatch(database.db, probe.id, events, new Date());
      expect(await scopeOptions(database.db)).toEqual({
        probes: ['edge-1', 'edge-2'],
        labels: ['region=eu', 'region=us', 'tier=a'],
        proxies: ['direct', 'squid'],
        targets: ['canary', 'chat'],
        profiles: ['hb', 'idle'],
      });
    });
  });
}
