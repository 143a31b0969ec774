/**
 * The built-in target's views through their spool: written to the database in order, and
 * kept on disk across a restart of the writer until they are.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import type { Database } from '../../db/client';
import { targetSessionViews } from '../../db/schema';
import { createLogger } from '../../lib/log';
import { startTargetViewWriter } from '../../server/target-views';
import { backends } from '../helpers/databases';

const log = createLogger({ level: 'silent' });
const view = (sessionId: string) => ({
  sessionId,
  target: 'builtin',
  peerAddress: '127.0.0.1',
  openedAt: '2026-12-01T00:00:00.000Z',
  endedAt: '2026-12-01T00:00:20.000Z',
  durationMs: 20_000,
  closeFrameReceived: false,
  endKind: 'tcp_fin' as const,
  sinceLastRecvMs: 20_000,
  sinceLastSentMs: 20_000,
  messagesIn: 0,
  messagesOut: 0,
});

const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

// Each test opens (and migrates) its database inside the test: seconds on a loaded machine.
describe.each(backends())('target views on $name', { timeout: 120_000 }, (backend) => {
  it('writes every view through the spool, and a restarted writer finds what was left', async () => {
    const database: Database = await backend.open();
    const dataDir = mkdtempSync(path.join(tmpdir(), 'dropscope-views-'));
    dirs.push(dataDir);
    try {
      const first = await startTargetViewWriter({ dataDir, db: database.db, log });
      for (let i = 0; i < 5; i++) first.write(view(`view-${String(i).padStart(4, '0')}`));
      // Stopped before it wrote them (a restart during an outage): they are on disk only.
      await first.close();
      expect(await database.db.select().from(targetSessionViews)).toEqual([]);
      const second = await startTargetViewWriter({ dataDir, db: database.db, log });
      second.write(view('view-late-0001'));
      await second.drained();
      await second.close();
      const rows = await database.db.select({ id: targetSessionViews.sessionId }).from(targetSessionViews).orderBy(targetSessionViews.sessionId);
      expect(rows.map((r) => r.id)).toEqual(['view-0000', 'view-0001', 'view-0002', 'view-0003', 'view-0004', 'view-late-0001']);
    } finally {
      await database.close();
    }
  });
});
