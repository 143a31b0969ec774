import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { PLAN_CACHE_FILE, readPlanCache, writePlanCache } from '../../../agent/plan/cache';
import { createLogger } from '../../../lib/log';
import { VERSION_A, VERSION_B, wirePlan } from './fixtures';

describe('server plan cache', () => {
  let dir: string;
  let logs: string[];
  const log = () => createLogger({ level: 'info', destination: { write: (s: string) => void logs.push(s) } });
  beforeEach(() => {
    dir = mkdtempSync(path.join(tmpdir(), 'dropscope-plan-cache-'));
    logs = [];
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('reads back what was written, as the server sent it (placeholders, duration strings)', () => {
    const wire = wirePlan({ proxies: [{ name: 'corp', url: 'http://${DROPSCOPE_PROXY_USER}:${DROPSCOPE_PROXY_PASS}@127.0.0.1:3128' }], profiles: [{ name: 'hb', kind: 'heartbeat', interval: '25s', timeout: '10s' }] });
    expect(writePlanCache(dir, { etag: `"${VERSION_A}"`, wire }, log())).toBe(true);
    const text = readFileSync(path.join(dir, PLAN_CACHE_FILE), 'utf8');
    expect(text).toContain('${DROPSCOPE_PROXY_PASS}');
    const cached = readPlanCache(dir, log())!;
    expect(cached.etag).toBe(`"${VERSION_A}"`);
    expect(cached.wire).toEqual(wire);
    // Parsed again from the wire form: 25s is 25 000 ms, not 25 000 s.
    expect(cached.plan.profiles[0]).toEqual({ name: 'hb', kind: 'heartbeat', interval: 25_000, timeout: 10_000 });

    writePlanCache(dir, { etag: `"${VERSION_B}"`, wire: wirePlan({ version: VERSION_B }) }, log());
    expect(readPlanCache(dir, log())!.plan.version).toBe(VERSION_B);
    // Replaced by a rename: no temporary file left behind.
    expect(readdirSync(dir)).toEqual([PLAN_CACHE_FILE]);
  });

  it('no cache, a torn file or a plan this agent cannot read: none, said in the log except when absent', () => {
    expect(readPlanCache(dir, log())).toBeNull();
    expect(logs).toEqual([]);
    writeFileSync(path.join(dir, PLAN_CACHE_FILE), '{"etag": "x", "doc": {');
    expect(readPlanCache(dir, log())).toBeNull();
    writeFileSync(path.join(dir, PLAN_CACHE_FILE), JSON.stringify({ etag: 'x', doc: { ...wirePlan(), version: 'nope' } }));
    expect(readPlanCache(dir, log())).toBeNull();
    expect(logs).toHaveLength(2);
  });

  it('a directory it cannot write: false and a warning, no throw', () => {
    const file = path.join(dir, 'not-a-dir');
    writeFileSync(file, '');
    expect(writePlanCache(file, { etag: null, wire: wirePlan() }, log())).toBe(false);
    expect(logs.join('')).toMatch(/cannot write the server plan cache/);
  });
});
