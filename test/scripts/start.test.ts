/**
 * `npm start` (scripts/start.mjs) in a checkout of its own: the real script and its
 * freshness module, copied beside a stand-in build whose "server" prints what it was
 * started with. It serves a fresh build, rebuilds a stale one saying why, refuses with
 * DROPSCOPE_NO_AUTOBUILD=1, and runs the build and the server with Next telemetry off
 * (also checked with Next's own `next telemetry status`).
 */
import { spawnSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';

const ROOT = path.resolve(__dirname, '../..');
let root: string;
afterEach(() => rmSync(root, { recursive: true, force: true }));

/** A checkout with sources, the real start scripts and a stand-in `npm run build`. */
function checkout(): string {
  root = mkdtempSync(path.join(tmpdir(), 'dropscope-start-'));
  mkdirSync(path.join(root, 'scripts'));
  for (const s of ['start.mjs', 'build-freshness.mjs', 'write-build-info.mjs']) copyFileSync(path.join(ROOT, 'scripts', s), path.join(root, 'scripts', s));
  mkdirSync(path.join(root, 'lib'));
  writeFileSync(path.join(root, 'lib/a.ts'), 'export const a = 1;\n');
  writeFileSync(path.join(root, 'scripts/fake-build.mjs'), [
    "import { mkdirSync, writeFileSync, appendFileSync } from 'node:fs';",
    "appendFileSync('builds.log', JSON.stringify({ NODE_ENV: process.env.NODE_ENV, NEXT_TELEMETRY_DISABLED: process.env.NEXT_TELEMETRY_DISABLED }) + '\\n');",
    "mkdirSync('.next', { recursive: true }); writeFileSync('.next/BUILD_ID', 'b');",
    "mkdirSync('dist', { recursive: true });",
    "writeFileSync('dist/server.mjs', \"console.log('SERVER ' + JSON.stringify({ NODE_ENV: process.env.NODE_ENV, NEXT_TELEMETRY_DISABLED: process.env.NEXT_TELEMETRY_DISABLED, argv: process.argv.slice(2) }));\\n\");",
    "await import('./write-build-info.mjs');",
  ].join('\n'));
  writeFileSync(path.join(root, 'package.json'), JSON.stringify({ name: 'fake', private: true, scripts: { build: 'node scripts/fake-build.mjs' } }));
  return root;
}

function start(env: Record<string, string> = {}, args: string[] = []) {
  const r = spawnSync(process.execPath, ['scripts/start.mjs', ...args], { cwd: root, // NODE_ENV as a shell might have it: npm start must run production whatever it is.
    env: { PATH: process.env.PATH ?? '', HOME: root, NODE_ENV: 'development', ...env }, encoding: 'utf8', timeout: 60_000 });
  const served = /^SERVER (.*)$/m.exec(r.stdout)?.[1];
  return { status: r.status, stderr: r.stderr, server: served ? (JSON.parse(served) as { NODE_ENV: string; NEXT_TELEMETRY_DISABLED: string; argv: string[] }) : null };
}
const builds = () => (existsSync(path.join(root, 'builds.log')) ? readFileSync(path.join(root, 'builds.log'), 'utf8').trim().split('\n').map((l) => JSON.parse(l) as Record<string, string>) : []);

describe('npm start', () => {
  it('builds once when there is no build, with telemetry off, then serves it', () => {
    checkout();
    const first = start({}, ['--demo']);
    expect(first.stderr).toContain('dropscope: building, because there is no build yet (under a minute on an idle machine, a few when busy');
    expect(first.status).toBe(0);
    expect(builds()).toEqual([{ NODE_ENV: 'production', NEXT_TELEMETRY_DISABLED: '1' }]);
    expect(first.server).toEqual({ NODE_ENV: 'production', NEXT_TELEMETRY_DISABLED: '1', argv: ['--demo'] });

    const second = start();
    expect(second.stderr).toBe('');
    expect(second.server).not.toBeNull();
    expect(builds()).toHaveLength(1);
  });

  it('rebuilds when the checkout changed since the build, saying which file', () => {
    checkout();
    start();
    writeFileSync(path.join(root, 'lib/a.ts'), 'export const a = 2;\n');
    const r = start();
    expect(r.stderr).toContain('dropscope: building, because the checkout is newer than the build: lib/a.ts changed since the build');
    expect(r.status).toBe(0);
    expect(builds()).toHaveLength(2);
    expect(r.server).not.toBeNull();
  });

  it('refuses a stale build with DROPSCOPE_NO_AUTOBUILD=1, and says what to do', () => {
    checkout();
    start();
    writeFileSync(path.join(root, 'lib/b.ts'), 'export const b = 1;\n');
    const r = start({ DROPSCOPE_NO_AUTOBUILD: '1' });
    expect(r.status).toBe(1);
    expect(r.server).toBeNull();
    expect(r.stderr).toContain('dropscope: not starting: the checkout is newer than the build: lib/b.ts changed since the build.');
    expect(r.stderr).toContain('Run `npm run build` (under a minute on an idle machine, a few when busy), or unset DROPSCOPE_NO_AUTOBUILD');
    expect(builds()).toHaveLength(1);
  });

  it('keeps telemetry on only when the operator says so', () => {
    checkout();
    expect(start({ NEXT_TELEMETRY_DISABLED: '0' }).server?.NEXT_TELEMETRY_DISABLED).toBe('0');
  });
});

describe('Next telemetry', () => {
  function telemetryStatus(env: Record<string, string>): string {
    const r = spawnSync(process.execPath, [path.join(ROOT, 'node_modules/next/dist/bin/next'), 'telemetry', 'status'], {
      cwd: root,
      // A home of its own: Next keeps its consent in the user's config directory.
      env: { PATH: process.env.PATH ?? '', NODE_ENV: 'production', HOME: root, XDG_CONFIG_HOME: path.join(root, '.config'), ...env },
      encoding: 'utf8',
      timeout: 60_000,
    });
    return /Status: (\w+)/.exec(r.stdout)?.[1] ?? `no status in: ${r.stdout}${r.stderr}`;
  }

  it('is disabled in the environment npm start gives the build and the server', async () => {
    root = mkdtempSync(path.join(tmpdir(), 'dropscope-telemetry-'));
    // @ts-expect-error: plain JavaScript, typed by JSDoc
    const { startEnvironment } = (await import('../../scripts/build-freshness.mjs')) as { startEnvironment(env: Record<string, string>): Record<string, string> };
    expect(telemetryStatus({})).toBe('Enabled');
    expect(telemetryStatus(startEnvironment({}))).toBe('Disabled');
  });
});
