/**
 * Loading the server's key: required on PostgreSQL (the error names the variable and how
 * to make one); on PGlite generated once into the data directory (mode 0600) and read back
 * on later starts; a key file others can read, or a damaged one, stops the start; at start
 * plaintext secrets are sealed and a key that opens none of them is logged, never the key.
 */
import { chmodSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Writable } from 'node:stream';
import { afterEach, describe, expect, it } from 'vitest';
import { openDatabase } from '../../db/open';
import { createWebhook } from '../../db/queries/webhooks';
import { webhookEndpoints } from '../../db/schema';
import { installedSecretKey, installSecretKey } from '../../lib/crypto/key-holder';
import { generateSecretKey, isSealed, open, parseSecretKey, seal } from '../../lib/crypto/secret-box';
import { createLogger } from '../../lib/log';
import { generateWebhookSecret } from '../../lib/webhooks/signature';
import { KEY_FILE, loadSecretKey, prepareSecretKey, SecretKeyError } from '../../server/secret-key';
import { T0 } from '../helpers/events';

const dirs: string[] = [];
const dataDir = () => {
  const d = mkdtempSync(path.join(tmpdir(), 'dropscope-key-'));
  dirs.push(d);
  return d;
};
afterEach(() => {
  installSecretKey(undefined);
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

describe('loadSecretKey', () => {
  it('takes DROPSCOPE_SECRET_KEY when set, on either backend, and writes no file', () => {
    const key = generateSecretKey();
    const dir = dataDir();
    expect(loadSecretKey(key, { kind: 'pglite', location: dir })).toEqual({ key, source: 'environment' });
    expect(loadSecretKey(key, { kind: 'postgres', location: 'postgres://x@h/db' })).toEqual({ key, source: 'environment' });
    expect(() => statSync(path.join(dir, KEY_FILE))).toThrow(/ENOENT/);
  });

  it('refuses PostgreSQL without a key, naming the variable and how to make one', () => {
    let err: unknown;
    try {
      loadSecretKey(undefined, { kind: 'postgres', location: 'postgres://x@h/db' });
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(SecretKeyError);
    expect(err).toMatchObject({ code: 'SECRET_KEY_ERR_MISSING' });
    expect((err as Error).message).toMatch(/^DROPSCOPE_SECRET_KEY is required with PostgreSQL .*`openssl rand -base64 32`/);
  });

  it('on PGlite, generates the key file (0600) at the first start and reads the same key at the next', () => {
    const dir = dataDir();
    const first = loadSecretKey(undefined, { kind: 'pglite', location: dir });
    const file = path.join(dir, KEY_FILE);
    expect(first).toMatchObject({ source: 'generated', file });
    expect(statSync(file).mode & 0o777).toBe(0o600);
    expect(readFileSync(file, 'utf8')).toMatch(/^[A-Za-z0-9+/]{43}=\n$/);
    const sealed = seal(first.key, 'x', 'c');
    const second = loadSecretKey(undefined, { kind: 'pglite', location: dir });
    expect(second).toMatchObject({ source: 'file', file });
    expect(open(second.key, sealed, 'c')).toBe('x');
    expect(readFileSync(file, 'utf8').trim()).toBe(first.key.toBase64());
  });

  it('refuses a key file other users can read, or a damaged one, saying what to do', () => {
    const dir = dataDir();
    const file = path.join(dir, KEY_FILE);
    loadSecretKey(undefined, { kind: 'pglite', location: dir });
    chmodSync(file, 0o644);
    expect(() => loadSecretKey(undefined, { kind: 'pglite', location: dir })).toThrow(/secret key file .* is readable by other users \(mode 644\): run `chmod 600 /);
    writeFileSync(file, 'not a key\n', { mode: 0o600 });
    chmodSync(file, 0o600);
    expect(() => loadSecretKey(undefined, { kind: 'pglite', location: dir })).toThrow(/secret key file .* is malformed: expected 32 random bytes/);
  });

  it('gives an in-memory database a key of its own, and no file', () => {
    expect(loadSecretKey(undefined, { kind: 'pglite', location: 'memory://' }).source).toBe('memory');
  });
});

describe('prepareSecretKey', () => {
  it('installs the key, seals plaintext secrets, logs what it did and which endpoints it cannot open, never the key or a secret', async () => {
    const dir = dataDir();
    const database = await openDatabase({ kind: 'pglite', dataDir: path.join(dir, 'db') });
    try {
      const plaintext = generateWebhookSecret();
      await database.db.insert(webhookEndpoints).values({ name: 'old', url: 'https://hooks.example/x', secret: plaintext, createdAt: T0, updatedAt: T0 });
      const foreign = await createWebhook(database.db, { name: 'foreign', url: 'https://hooks.example/y', format: 'standard', enabled: true }, T0, generateSecretKey());
      const lines: string[] = [];
      const log = createLogger({ level: 'info', destination: new Writable({ write: (c: Buffer, _e, cb) => (lines.push(c.toString()), cb()) }) });

      const key = await prepareSecretKey(undefined, database, log);
      expect(installedSecretKey()).toBe(key);
      const rows = await database.db.select({ name: webhookEndpoints.name, secret: webhookEndpoints.secret }).from(webhookEndpoints);
      expect(rows.every((r) => isSealed(r.secret))).toBe(true);
      expect(JSON.stringify(rows)).not.toContain(plaintext.slice(6, 26));

      const records = lines.map((l) => JSON.parse(l) as { msg: string; level: number; sealed?: number; source?: string; webhookIds?: number[] });
      expect(records.find((r) => r.msg.startsWith('secret key generated'))).toMatchObject({ source: 'generated', sealed: 1 });
      expect(records.find((r) => r.level === 50)).toMatchObject({ webhookIds: [foreign.webhook.id], msg: expect.stringMatching(/1 webhook secret\(s\) cannot be decrypted with this key: .* DROPSCOPE_SECRET_KEY/) });
      const text = lines.join('');
      expect(text).not.toContain(key.toBase64());
      expect(text).not.toContain(readFileSync(path.join(dir, 'db', KEY_FILE), 'utf8').trim());
      expect(text).not.toContain(plaintext);

      // A second start: the same key from the file, nothing left to seal.
      lines.length = 0;
      const again = await prepareSecretKey(undefined, database, log);
      expect(again.toBase64()).toBe(key.toBase64());
      expect(JSON.parse(lines[0]!)).toMatchObject({ msg: 'secret key loaded', source: 'file', sealed: 0 });
      expect(parseSecretKey(readFileSync(path.join(dir, 'db', KEY_FILE), 'utf8')).toBase64()).toBe(key.toBase64());
    } finally {
      await database.close();
    }
    // Opens (and migrates) a PGlite directory inside the test: seconds on a loaded machine.
  }, 120_000);
});
