/**
 * `npm run dropscope` (scripts/dropscope.mjs) in a checkout of its own: the bundle when the
 * build is made from the checkout, the TypeScript source through tsx (saying why) when not.
 */
import { spawnSync } from 'node:child_process';
import { copyFileSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';

const ROOT = path.resolve(__dirname, '../..');
// Under the repository: the launcher finds tsx in node_modules from there.
const root = mkdtempSync(path.join(ROOT, 'node_modules', '.cache-dropscope-launcher-test-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));

function setUp(): void {
  mkdirSync(path.join(root, 'scripts'), { recursive: true });
  for (const s of ['dropscope.mjs', 'build-freshness.mjs', 'write-build-info.mjs']) copyFileSync(path.join(ROOT, 'scripts', s), path.join(root, 'scripts', s));
  mkdirSync(path.join(root, 'cli'), { recursive: true });
  mkdirSync(path.join(root, 'dist'), { recursive: true });
  writeFileSync(path.join(root, 'cli/dropscope.ts'), "const args: string[] = process.argv.slice(2);\nconsole.log('SOURCE ' + args.join(' '));\nprocess.exit(3);\n");
  writeFileSync(path.join(root, 'dist/dropscope.mjs'), "console.log('BUNDLE ' + process.argv.slice(2).join(' '));\n");
}
const launch = (...args: string[]) => spawnSync(process.execPath, ['scripts/dropscope.mjs', ...args], { cwd: root, env: { PATH: process.env.PATH ?? '', NODE_ENV: 'production' }, encoding: 'utf8', timeout: 60_000 });

describe('npm run dropscope', () => {
  setUp();

  it('runs from source through tsx when there is no record of the build, saying why', () => {
    const r = launch('probe', 'list');
    expect(r.stdout).toBe('SOURCE probe list\n');
    expect(r.status).toBe(3);
    expect(r.stderr).toContain('dropscope: running from source, slower, because the build has no dist/BUILD_INFO.json');
  });

  it('runs the bundle in this process once the build is recorded', () => {
    expect(spawnSync(process.execPath, ['scripts/write-build-info.mjs'], { cwd: root }).status).toBe(0);
    const r = launch('probe', 'list', '--data-dir', 'x');
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    expect(r.stdout).toBe('BUNDLE probe list --data-dir x\n');
  });

  it('goes back to the source when a source file changes', () => {
    writeFileSync(path.join(root, 'cli/dropscope.ts'), "console.log('SOURCE changed ' + process.argv.slice(2).join(' '));\n");
    const r = launch('token', 'list');
    expect(r.stdout).toBe('SOURCE changed token list\n');
    expect(r.stderr).toContain('because the checkout is newer than the build: cli/dropscope.ts changed since the build');
  });
});
