// Is the build (.next and dist/) made from this checkout? `npm start` and `npm run dropscope`
// ask before they run it (issue 19: after a `git pull`, npm start silently served the old build).
//
// The build records what it was made from in dist/BUILD_INFO.json (scripts/write-build-info.mjs,
// run by `npm run build:server`): a hash of every source input's path and content, the git
// HEAD when there is one (only to say what changed), and the instant the hash was taken.
// A check first compares mtimes against that instant (a few ms for ~500 files): nothing
// newer means nothing changed. Only when a file is newer does it hash the inputs, so a
// checkout that touched files without changing them (git switching back and forth) does
// not rebuild. Plain JavaScript: it runs before anything is built or transpiled.
import { createHash } from 'node:crypto';
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';

/** What the build is made from, relative to the repository root. */
export const SOURCE_INPUTS = [
  'app',
  'components',
  'lib',
  'db',
  'server',
  'server.ts',
  'cli',
  'agent',
  'target',
  'demo',
  'public',
  'package.json',
  'package-lock.json',
  'tsconfig.json',
  'next.config.ts',
  'next.config.mjs',
  'next.config.js',
];

export const BUILD_INFO = 'dist/BUILD_INFO.json';

/** How long `npm run build` takes here (measured; said when npm start rebuilds). */
export const BUILD_TAKES = 'under a minute on an idle machine, a few when busy';

/**
 * Every input file under `root` with its mtime, sorted by path.
 * @param {string} root
 * @returns {{ path: string, mtimeMs: number }[]}
 */
export function listInputs(root) {
  /** @type {{ path: string, mtimeMs: number }[]} */
  const out = [];
  /** @param {string} rel */
  const walk = (rel) => {
    const abs = path.join(root, rel);
    let st;
    try {
      st = statSync(abs);
    } catch {
      return; // an optional input (public/, next.config.js) that does not exist
    }
    if (st.isDirectory()) {
      for (const name of readdirSync(abs).sort()) {
        if (name === 'node_modules' || name.startsWith('.')) continue;
        walk(path.posix.join(rel, name));
      }
    } else if (st.isFile()) out.push({ path: rel, mtimeMs: st.mtimeMs });
  };
  for (const input of SOURCE_INPUTS) walk(input);
  return out.sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
}

/**
 * A hash of the inputs' paths and contents.
 * @param {string} root
 * @param {{ path: string }[]} files
 */
export function hashInputs(root, files) {
  const h = createHash('sha256');
  for (const f of files) {
    h.update(f.path).update('\0').update(readFileSync(path.join(root, f.path))).update('\0');
  }
  return h.digest('hex');
}

/** @param {string} root @returns {string | null} */
export function gitHead(root) {
  const r = spawnSync('git', ['rev-parse', 'HEAD'], { cwd: root, encoding: 'utf8', timeout: 5_000 });
  return r.status === 0 ? r.stdout.trim() : null;
}

/**
 * @typedef {{ head: string | null, inputsHash: string, hashedAtMs: number, files: number }} BuildInfo
 * @param {string} root
 * @returns {BuildInfo}
 */
export function currentBuildInfo(root) {
  const hashedAtMs = Date.now();
  const files = listInputs(root);
  return { head: gitHead(root), inputsHash: hashInputs(root, files), hashedAtMs, files: files.length };
}

/** @param {string} root @returns {BuildInfo | null} */
export function readBuildInfo(root) {
  try {
    const info = JSON.parse(readFileSync(path.join(root, BUILD_INFO), 'utf8'));
    if (typeof info?.inputsHash !== 'string' || typeof info?.hashedAtMs !== 'number') return null;
    return { head: typeof info.head === 'string' ? info.head : null, inputsHash: info.inputsHash, hashedAtMs: info.hashedAtMs, files: Number(info.files) || 0 };
  } catch {
    return null;
  }
}

/**
 * @typedef {{ action: 'serve' } | { action: 'build' | 'refuse', reason: string }} Decision
 */

/**
 * What to do with the build, from what is known of it. Pure: the caller gathers the facts.
 * @param {{
 *   built: boolean,
 *   info: BuildInfo | null,
 *   inputs: { path: string, mtimeMs: number }[],
 *   hash: () => string,
 *   head: () => string | null,
 *   noAutobuild: boolean,
 * }} facts
 * @returns {Decision}
 */
export function decide(facts) {
  const reason = staleness(facts);
  if (reason === null) return { action: 'serve' };
  return { action: facts.noAutobuild ? 'refuse' : 'build', reason };
}

/** @param {Parameters<typeof decide>[0]} facts @returns {string | null} */
function staleness({ built, info, inputs, hash, head }) {
  if (!built) return 'there is no build yet';
  if (!info) return `the build has no ${BUILD_INFO} (it predates dropscope recording what it was built from), so it may be older than the checkout`;
  const newer = inputs.filter((f) => f.mtimeMs > info.hashedAtMs);
  if (newer.length === 0 && inputs.length === info.files) return null;
  if (hash() === info.inputsHash) return null;
  const now = head();
  const commits = info.head && now && info.head !== now ? ` (built from commit ${info.head.slice(0, 12)}, the checkout is at ${now.slice(0, 12)})` : '';
  const newest = [...newer].sort((a, b) => b.mtimeMs - a.mtimeMs)[0];
  const what = newest ? `${newest.path}${newer.length > 1 ? ` and ${newer.length - 1} other file${newer.length > 2 ? 's' : ''}` : ''} changed since the build` : 'source files were added or removed since the build';
  return `the checkout is newer than the build: ${what}${commits}`;
}

/**
 * The facts about the build under `root`, gathered cheaply (hash and HEAD only if needed).
 * @param {string} root
 * @param {Record<string, string | undefined>} env
 * @param {{ requires?: string[] }} [options] files the build must have (default: Next's and the server's)
 */
export function checkBuild(root, env, options = {}) {
  const requires = options.requires ?? ['.next/BUILD_ID', 'dist/server.mjs'];
  const inputs = listInputs(root);
  return decide({
    built: requires.every((f) => existsSync(path.join(root, f))),
    info: readBuildInfo(root),
    inputs,
    hash: () => hashInputs(root, inputs),
    head: () => gitHead(root),
    noAutobuild: env.DROPSCOPE_NO_AUTOBUILD === '1',
  });
}

/**
 * The environment of the build and the server `npm start` runs: production, and no Next
 * telemetry unless the operator set it.
 * @param {Record<string, string | undefined>} env
 */
export function startEnvironment(env) {
  return { ...env, NODE_ENV: 'production', NEXT_TELEMETRY_DISABLED: env.NEXT_TELEMETRY_DISABLED ?? '1' };
}
