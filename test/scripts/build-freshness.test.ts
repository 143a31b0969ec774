/**
 * Whether the build is made from the checkout (scripts/build-freshness.mjs): the pure
 * decision, table-driven, and the facts gathered from a real directory tree.
 */
import { mkdirSync, mkdtempSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
// @ts-expect-error: plain JavaScript run by node before anything is built; typed by JSDoc
import * as freshness from '../../scripts/build-freshness.mjs';

type Inputs = { path: string; mtimeMs: number }[];
type Info = { head: string | null; inputsHash: string; hashedAtMs: number; files: number };
type Decision = { action: 'serve' } | { action: 'build' | 'refuse'; reason: string };
const f = freshness as {
  decide(facts: { built: boolean; info: Info | null; inputs: Inputs; hash: () => string; head: () => string | null; noAutobuild: boolean }): Decision;
  listInputs(root: string): Inputs;
  hashInputs(root: string, files: Inputs): string;
  currentBuildInfo(root: string): Info;
  readBuildInfo(root: string): Info | null;
  checkBuild(root: string, env: Record<string, string | undefined>, options?: { requires?: string[] }): Decision;
  startEnvironment(env: Record<string, string | undefined>): Record<string, string | undefined>;
  BUILD_INFO: string;
};

const HEAD_A = 'a'.repeat(40);
const HEAD_B = 'b'.repeat(40);
const info: Info = { head: HEAD_A, inputsHash: 'h1', hashedAtMs: 1_000, files: 2 };
const old: Inputs = [
  { path: 'lib/a.ts', mtimeMs: 900 },
  { path: 'server.ts', mtimeMs: 950 },
];

describe('decide', () => {
  const base = { built: true, info, inputs: old, hash: () => 'h1', head: () => HEAD_A, noAutobuild: false };

  it('serves a build when nothing is newer than its hash', () => {
    let hashed = false;
    expect(f.decide({ ...base, hash: () => ((hashed = true), 'other') })).toEqual({ action: 'serve' });
    // The cheap check sufficed: no file was read.
    expect(hashed).toBe(false);
  });

  it('builds when there is no build, or no record of what it was built from', () => {
    expect(f.decide({ ...base, built: false })).toEqual({ action: 'build', reason: 'there is no build yet' });
    expect(f.decide({ ...base, info: null })).toMatchObject({ action: 'build', reason: expect.stringContaining('has no dist/BUILD_INFO.json') as string });
  });

  it('serves when files were touched without changing (same hash)', () => {
    const touched = [{ path: 'lib/a.ts', mtimeMs: 5_000 }, old[1]!];
    expect(f.decide({ ...base, inputs: touched })).toEqual({ action: 'serve' });
  });

  it('rebuilds when a file changed, naming it and the commits', () => {
    const changed = [{ path: 'lib/a.ts', mtimeMs: 5_000 }, { path: 'server.ts', mtimeMs: 4_000 }];
    expect(f.decide({ ...base, inputs: changed, hash: () => 'h2', head: () => HEAD_B })).toEqual({
      action: 'build',
      reason: `the checkout is newer than the build: lib/a.ts and 1 other file changed since the build (built from commit ${HEAD_A.slice(0, 12)}, the checkout is at ${HEAD_B.slice(0, 12)})`,
    });
    // Uncommitted edits: the same HEAD, still a rebuild.
    expect(f.decide({ ...base, inputs: [{ path: 'lib/a.ts', mtimeMs: 5_000 }, old[1]!], hash: () => 'h2' })).toEqual({
      action: 'build',
      reason: 'the checkout is newer than the build: lib/a.ts changed since the build',
    });
  });

  it('notices a removed file, whose absence no mtime shows', () => {
    expect(f.decide({ ...base, inputs: [old[0]!], hash: () => 'h3' })).toEqual({
      action: 'build',
      reason: 'the checkout is newer than the build: source files were added or removed since the build',
    });
  });

  it('refuses instead of building with DROPSCOPE_NO_AUTOBUILD', () => {
    expect(f.decide({ ...base, built: false, noAutobuild: true })).toEqual({ action: 'refuse', reason: 'there is no build yet' });
    expect(f.decide({ ...base, noAutobuild: true })).toEqual({ action: 'serve' });
  });
});

describe('on a directory tree', () => {
  let root: string;
  afterEach(() => rmSync(root, { recursive: true, force: true }));

  function tree(): string {
    root = mkdtempSync(path.join(tmpdir(), 'dropscope-fresh-'));
    mkdirSync(path.join(root, 'lib/deep'), { recursive: true });
    mkdirSync(path.join(root, 'app/node_modules/x'), { recursive: true });
    mkdirSync(path.join(root, '.next'), { recursive: true });
    mkdirSync(path.join(root, 'dist'), { recursive: true });
    writeFileSync(path.join(root, 'lib/deep/a.ts'), 'export const a = 1;\n');
    writeFileSync(path.join(root, 'server.ts'), 'console.log(1);\n');
    writeFileSync(path.join(root, 'package.json'), '{}\n');
    writeFileSync(path.join(root, 'app/node_modules/x/ignored.js'), '');
    writeFileSync(path.join(root, 'README.md'), 'not an input\n');
    writeFileSync(path.join(root, '.next/BUILD_ID'), 'x');
    writeFileSync(path.join(root, 'dist/server.mjs'), '');
    return root;
  }
  const past = (p: string) => utimesSync(path.join(root, p), new Date(1_000_000), new Date(1_000_000));
  const record = () => writeFileSync(path.join(root, f.BUILD_INFO), JSON.stringify(f.currentBuildInfo(root)));

  it('lists the inputs, not node_modules, dot directories or other files', () => {
    tree();
    expect(f.listInputs(root).map((i) => i.path)).toEqual(['lib/deep/a.ts', 'package.json', 'server.ts']);
  });

  it('hashes content and paths', () => {
    tree();
    const files = f.listInputs(root);
    const h = f.hashInputs(root, files);
    expect(h).toMatch(/^[0-9a-f]{64}$/);
    writeFileSync(path.join(root, 'server.ts'), 'console.log(2);\n');
    expect(f.hashInputs(root, files)).not.toBe(h);
  });

  it('serves after recording, rebuilds after an edit, and serves again once recorded', async () => {
    tree();
    for (const p of ['lib/deep/a.ts', 'server.ts', 'package.json']) past(p);
    record();
    expect(f.readBuildInfo(root)).toMatchObject({ files: 3, head: null });
    expect(f.checkBuild(root, {})).toEqual({ action: 'serve' });
    // An edit made after the recording, as a person's would be: the kernel dates a write by its
    // coarse clock (a tick, up to 10 ms, behind Date.now()), so an edit within a few ms of the
    // record could carry an mtime no newer than it. Let the clock move past that first.
    const { hashedAtMs } = f.readBuildInfo(root)!;
    while (Date.now() < hashedAtMs + 50) await new Promise((r) => setTimeout(r, 10));
    writeFileSync(path.join(root, 'lib/deep/a.ts'), 'export const a = 2;\n');
    expect(f.checkBuild(root, {})).toEqual({ action: 'build', reason: 'the checkout is newer than the build: lib/deep/a.ts changed since the build' });
    expect(f.checkBuild(root, { DROPSCOPE_NO_AUTOBUILD: '1' })).toMatchObject({ action: 'refuse' });
    record();
    expect(f.checkBuild(root, {})).toEqual({ action: 'serve' });
  });

  it('needs the files a build must have', () => {
    tree();
    record();
    expect(f.checkBuild(root, {}, { requires: ['dist/dropscope.mjs'] })).toEqual({ action: 'build', reason: 'there is no build yet' });
    rmSync(path.join(root, '.next/BUILD_ID'));
    expect(f.checkBuild(root, {})).toEqual({ action: 'build', reason: 'there is no build yet' });
  });
});

describe('startEnvironment', () => {
  it('runs production with Next telemetry off, unless the operator set it', () => {
    expect(f.startEnvironment({ PATH: '/bin' })).toEqual({ PATH: '/bin', NODE_ENV: 'production', NEXT_TELEMETRY_DISABLED: '1' });
    expect(f.startEnvironment({ NEXT_TELEMETRY_DISABLED: '0' }).NEXT_TELEMETRY_DISABLED).toBe('0');
  });
});
