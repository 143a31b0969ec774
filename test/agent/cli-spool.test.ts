/**
 * The agent CLI on a spool directory it cannot use: one line naming the directory and the
 * cause, exit 1, no stack. Read-only and full are real (a tmpfs of the test's own, remounted
 * read-only or filled: root ignores permission bits); "not a directory" needs no mount.
 */
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LOCK_FILE } from '../../agent/spool';
import { mountTmpfs, tmpfsRefusal, type Tmpfs } from '../helpers/tmpfs';

const ROOT = path.resolve(__dirname, '../..');
const TSX = path.join(ROOT, 'node_modules/.bin/tsx');
const TOKEN = `dsp_1_${'a'.repeat(43)}`;

/** Run the agent on a valid config whose spool is `spoolDir`; the backend is never reached. */
function agent(work: string, spoolDir: string) {
  const config = path.join(work, 'probe.yaml');
  writeFileSync(
    config,
    `backend:\n  url: http://127.0.0.1:1\n  token: ${TOKEN}\nprobe:\n  spoolDir: ${JSON.stringify(spoolDir)}\n` +
      `targets:\n  - name: canary\n    url: ws://127.0.0.1:1/canary\npaths:\n  - profiles: [idle]\n`,
  );
  const r = spawnSync(TSX, ['agent/cli.ts', '--config', config], { cwd: ROOT, encoding: 'utf8', timeout: 120_000, env: { ...process.env, LOG_LEVEL: 'info' } });
  if (r.error) throw r.error;
  return { status: r.status, stderr: r.stderr, stdout: r.stdout };
}

function expectOneLine(result: ReturnType<typeof agent>, line: string): void {
  expect(result.stderr).toBe(`dropscope-agent: ${line}\n`);
  expect(result.stderr).not.toMatch(/^\s+at /m);
  expect(result.status).toBe(1);
}

// Each case starts the CLI through tsx (seconds on a loaded machine): room for it, not a bound on it.
describe('dropscope-agent on an unusable spool directory', { timeout: 180_000 }, () => {
  let work: string;
  beforeAll(() => {
    work = mkdtempSync(path.join(tmpdir(), 'dropscope-cli-spool-'));
  });
  afterAll(() => {
    rmSync(work, { recursive: true, force: true });
  });

  it('says that a spool path under a file is not a directory', () => {
    writeFileSync(path.join(work, 'file'), '');
    const spool = path.join(work, 'file', 'spool');
    expectOneLine(agent(work, spool), `spool directory ${spool} is not usable: ENOTDIR: not a directory, mkdir '${spool}'`);
  });

  const refusal = tmpfsRefusal();
  describe.skipIf(refusal !== null)(`on a real tmpfs${refusal ? ` (skipped: ${refusal})` : ''}`, () => {
    let fs: Tmpfs;
    beforeAll(() => {
      fs = mountTmpfs('256k', { name: 'dropscope-cli-tmpfs' });
    });
    afterAll(() => {
      fs?.unmount();
    });

    it('says that the spool directory is on a read-only filesystem', async () => {
      const spool = path.join(fs.dir, 'spool');
      mkdirSync(spool);
      await fs.remount('ro');
      try {
        expectOneLine(agent(work, spool), `spool directory ${spool} is not usable: EROFS: read-only file system, open '${path.join(spool, LOCK_FILE)}'`);
        const fresh = path.join(fs.dir, 'fresh');
        expectOneLine(agent(work, fresh), `spool directory ${fresh} is not usable: EROFS: read-only file system, mkdir '${fresh}'`);
      } finally {
        await fs.remount('rw');
      }
    });

    it('says that the disk of the spool directory is full', () => {
      const spool = path.join(fs.dir, 'full');
      mkdirSync(spool);
      fs.fill();
      try {
        expectOneLine(agent(work, spool), `spool directory ${spool} is not usable: ENOSPC: no space left on device, write`);
      } finally {
        fs.clear();
      }
    });
  });
});
