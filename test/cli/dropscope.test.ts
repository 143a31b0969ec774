/**
 * What makes the CLI start fast (issue 19): bundled exactly as `npm run build:server` bundles
 * it, `--help` and a command sent through a running server's admin socket load neither
 * PGlite nor the database drivers nor password hashing; only a command that opens the
 * database itself does. Which modules load is traced with a resolve hook
 * (test/cli/module-trace.mjs), no clock involved.
 */
import { execFile, spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ADMIN_SOCKET_NAME } from '../../cli/admin-client';
import type { Database } from '../../db/client';
import { acquireDataDirLock } from '../../db/data-dir-lock';
import { openDatabase } from '../../db/open';
import { createLogger } from '../../lib/log';
import { ADMIN_SOCKET, startAdminSocket } from '../../server/admin-socket';
import type { CanaryTarget } from '../../target/canary-target';

const ROOT = path.resolve(__dirname, '../..');
const run = promisify(execFile);

/** Packages a fast command must not load: the database engine and drivers, password hashing, Next. */
const HEAVY = ['@electric-sql/pglite', 'postgres', 'drizzle-orm/pglite', 'drizzle-orm/postgres-js', 'better-auth', 'next'];
/** Minus password hashing, which the user commands' schema module carries (server/user-commands.ts). */
const DATABASE = HEAVY.filter((h) => h !== 'better-auth');
function heavyIn(urls: string[], heavy: readonly string[] = HEAVY): string[] {
  const found = new Set<string>();
  for (const u of urls) {
    const m = /\/node_modules\/((?:@[^/]+\/)?[^/]+)\/(.*)$/.exec(u);
    if (!m) continue;
    const [, pkg, rest] = m;
    for (const h of heavy) {
      const [hp, sub] = h.startsWith('@') ? [h, undefined] : (h.split('/') as [string, string | undefined]);
      if (pkg === hp && (sub === undefined || rest!.includes(sub))) found.add(h);
    }
  }
  return [...found].sort();
}

describe('dropscope CLI bundle', () => {
  // Under the repository, so that the bundle's external packages resolve from node_modules.
  const outdir = mkdtempSync(path.join(ROOT, 'node_modules', '.cache-dropscope-cli-test-'));
  const work = mkdtempSync(path.join(tmpdir(), 'dropscope-cli-'));
  let traceN = 0;

  beforeAll(() => {
    const script = (JSON.parse(readFileSync(path.join(ROOT, 'package.json'), 'utf8')) as { scripts: Record<string, string> }).scripts['build:server']!;
    const step = script.split('&&').map((s) => s.trim()).find((s) => s.startsWith('esbuild cli/dropscope.ts'));
    expect(step, 'build:server bundles cli/dropscope.ts').toBeDefined();
    // Lazy imports stay lazy only with code splitting: a single-file ESM bundle hoists every import.
    expect(step).toContain('--splitting');
    expect(step).toContain('--outdir=dist');
    const args = step!.split(/\s+/).slice(1).map((a) => (a === '--outdir=dist' ? `--outdir=${outdir}` : a));
    const r = spawnSync(path.join(ROOT, 'node_modules/.bin/esbuild'), args, { cwd: ROOT, encoding: 'utf8' });
    expect(r.status, r.stderr).toBe(0);
  }, 60_000);

  afterAll(() => {
    rmSync(outdir, { recursive: true, force: true });
    rmSync(work, { recursive: true, force: true });
  });

  async function cli(args: string[], env: Record<string, string>): Promise<{ code: number; stdout: string; stderr: string; modules: string[] }> {
    const trace = path.join(work, `trace-${++traceN}.txt`);
    writeFileSync(trace, '');
    const result = await run(process.execPath, ['--import', './test/cli/module-trace.mjs', path.join(outdir, 'dropscope.mjs'), ...args], {
      cwd: ROOT,
      env: { PATH: process.env.PATH ?? '', NODE_ENV: 'production', DROPSCOPE_TRACE_MODULES: trace, ...env },
      timeout: 60_000,
    }).then(
      (r) => ({ code: 0, stdout: r.stdout, stderr: r.stderr }),
      (e: { code?: number; stdout?: string; stderr?: string }) => ({ code: e.code ?? -1, stdout: e.stdout ?? '', stderr: e.stderr ?? '' }),
    );
    return { ...result, modules: readFileSync(trace, 'utf8').split('\n').filter(Boolean) };
  }

  it('names the admin socket as the server does', () => {
    expect(ADMIN_SOCKET_NAME).toBe(ADMIN_SOCKET);
  });

  it('prints the usage for --help without loading the database packages', async () => {
    const r = await cli(['--help'], { DROPSCOPE_DATA_DIR: path.join(work, 'unused') });
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('dropscope probe add <name>');
    expect(r.stderr).toContain('dropscope token add <name>');
    // The trace works: the bundle itself and zod were loaded.
    expect(r.modules.some((u) => u.endsWith('/dropscope.mjs'))).toBe(true);
    expect(r.modules.some((u) => u.includes('/node_modules/zod/'))).toBe(true);
    expect(heavyIn(r.modules)).toEqual([]);
  });

  it('rejects an unknown command with the usage, loading nothing heavy', async () => {
    const r = await cli(['frobnicate'], { DROPSCOPE_DATA_DIR: path.join(work, 'unused') });
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('dropscope: unknown command frobnicate');
    expect(heavyIn(r.modules)).toEqual([]);
  });

  describe('with a server holding the data directory', () => {
    const dataDir = path.join(work, 'held');
    let database: Database;
    let socket: { close(): Promise<void> };
    let release: () => void;

    beforeAll(async () => {
      mkdirSync(dataDir, { recursive: true });
      // This test process plays the server: it holds the directory's lock and serves the admin socket.
      release = acquireDataDirLock(dataDir);
      database = await openDatabase({ kind: 'pglite', dataDir: 'memory://' });
      socket = await startAdminSocket(dataDir, database, createLogger({ level: 'silent' }), {} as CanaryTarget);
    }, 60_000);

    afterAll(async () => {
      await socket?.close();
      await database?.close();
      release?.();
    });

    it('sends probe and user commands through the admin socket, loading no database package', async () => {
      const add = await cli(['probe', 'add', 'edge-1', '--label', 'region=eu', '--data-dir', dataDir], {});
      expect(add.stderr).toBe('');
      expect(add.code).toBe(0);
      expect(add.stdout).toMatch(/^probe edge-1 added \(id \d+\)\.\ntoken \(shown once, store it in the probe's config\):\ndsp_\S+\n$/);
      expect(heavyIn(add.modules)).toEqual([]);

      const list = await cli(['probe', 'list'], { DROPSCOPE_DATA_DIR: dataDir });
      expect(list.code).toBe(0);
      expect(list.stdout).toMatch(/^NAME\s+STATE\s+LABELS\s+KIND\s+VERSION\s+LAST SEEN\nedge-1\s+active\s+region=eu\s+probe\s+-\s+never\n$/);
      expect(heavyIn(list.modules)).toEqual([]);

      const users = await cli(['user', 'list', `--data-dir=${dataDir}`], {});
      expect(users.code).toBe(0);
      expect(users.stdout).toBe('nobody has an account yet: dropscope user add <email> --role admin\n');
      expect(heavyIn(users.modules, DATABASE)).toEqual([]);
    });

    it('reports a bad argument with the field, before reaching the server', async () => {
      const r = await cli(['target', 'pause', '--for', 'soon', '--data-dir', dataDir], {});
      expect(r.code).toBe(2);
      expect(r.stderr).toContain('dropscope: --for: expected a duration from 1s to 24h such as 2m');
    });
  });

  it('opens the database itself when no server holds it (and only then loads PGlite)', async () => {
    const r = await cli(['probe', 'list'], { DROPSCOPE_DATA_DIR: path.join(work, 'free') });
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(r.stdout).toBe('no probes yet: dropscope probe add <name>\n');
    expect(heavyIn(r.modules)).toContain('@electric-sql/pglite');
  });
});
