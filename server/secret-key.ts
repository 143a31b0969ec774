/**
 * The server's secret key (webhook secrets at rest), loaded once at start, right after the
 * database opens:
 * - DROPSCOPE_SECRET_KEY when set (required on PostgreSQL: every server of a database
 *   must seal and open with the same key, and the database is no place to keep it);
 * - on PGlite without it, `<data dir>/secret.key`, generated (mode 0600) at the first
 *   start and read at every later one, so `npm start` needs no setup. Whoever copies the
 *   data directory copies the key with it; set DROPSCOPE_SECRET_KEY to keep them apart.
 *
 * Then plaintext secrets left by older versions are sealed (idempotent), and endpoints
 * whose secret this key cannot open are logged once: their deliveries fail with that
 * reason (and are retried) until the right key is set; the server itself keeps running.
 */
import { constants, openSync, readFileSync, statSync, writeSync, closeSync } from 'node:fs';
import path from 'node:path';
import type { Database } from '../db/client';
import { sealPlaintextSecrets, secretsNotOpening } from '../db/queries/webhooks';
import { installSecretKey } from '../lib/crypto/key-holder';
import { generateSecretKey, parseSecretKey, type SecretKey } from '../lib/crypto/secret-box';
import type { Logger } from '../lib/log';

export const KEY_FILE = 'secret.key';
export const KEY_VARIABLE = 'DROPSCOPE_SECRET_KEY';

export type SecretKeyErrorCode = 'SECRET_KEY_ERR_MISSING' | 'SECRET_KEY_ERR_FILE';

export class SecretKeyError extends Error {
  constructor(
    readonly code: SecretKeyErrorCode,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = 'SecretKeyError';
  }
}

export type KeySource = 'environment' | 'file' | 'generated' | 'memory';

/**
 * The key to use: `configured` (the parsed DROPSCOPE_SECRET_KEY) if given; else, on PGlite,
 * the data directory's key file, created if absent. Throws SecretKeyError: on PostgreSQL
 * without a key (SECRET_KEY_ERR_MISSING), for a key file that is unreadable, malformed or
 * readable by others (SECRET_KEY_ERR_FILE).
 */
export function loadSecretKey(configured: SecretKey | undefined, database: Pick<Database, 'kind' | 'location'>): { key: SecretKey; source: KeySource; file?: string } {
  if (configured) return { key: configured, source: 'environment' };
  if (database.kind === 'postgres') {
    throw new SecretKeyError(
      'SECRET_KEY_ERR_MISSING',
      `${KEY_VARIABLE} is required with PostgreSQL (it encrypts webhook secrets; every server on the database needs the same one): ` +
        `make one with \`openssl rand -base64 32\` and set ${KEY_VARIABLE} to it on every server`,
    );
  }
  // A throwaway in-memory database gets a throwaway key.
  if (database.location.startsWith('memory://')) return { key: generateSecretKey(), source: 'memory' };
  const file = path.join(database.location, KEY_FILE);
  const existing = readKeyFile(file);
  if (existing) return { key: existing, source: 'file', file };
  const key = generateSecretKey();
  writeKeyFile(file, key);
  return { key, source: 'generated', file };
}

function readKeyFile(file: string): SecretKey | null {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw new SecretKeyError('SECRET_KEY_ERR_FILE', `cannot read the secret key file ${file}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`, { cause: err });
  }
  // As ssh does with a private key: one that others can read is not used.
  const mode = statSync(file).mode & 0o777;
  if (mode & 0o077) {
    throw new SecretKeyError('SECRET_KEY_ERR_FILE', `the secret key file ${file} is readable by other users (mode ${mode.toString(8)}): run \`chmod 600 ${file}\``);
  }
  try {
    return parseSecretKey(text);
  } catch (err) {
    throw new SecretKeyError('SECRET_KEY_ERR_FILE', `the secret key file ${file} is malformed: ${(err as Error).message}. Restore it from a backup, or set ${KEY_VARIABLE}`, { cause: err });
  }
}

function writeKeyFile(file: string, key: SecretKey): void {
  let fd: number;
  try {
    // O_EXCL: never overwrite a key (the data directory lock already keeps a second server out).
    fd = openSync(file, constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL, 0o600);
  } catch (err) {
    throw new SecretKeyError('SECRET_KEY_ERR_FILE', `cannot create the secret key file ${file}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`, { cause: err });
  }
  try {
    writeSync(fd, `${key.toBase64()}\n`);
  } finally {
    closeSync(fd);
  }
}

/**
 * Load the key (loadSecretKey), install it for route handlers, seal plaintext secrets and
 * log what was done (never the key). Returns the key for the deliverer.
 */
export async function prepareSecretKey(configured: SecretKey | undefined, database: Database, log: Logger): Promise<SecretKey> {
  const { key, source, file } = loadSecretKey(configured, database);
  installSecretKey(key);
  const sealed = await sealPlaintextSecrets(database.db, key);
  const unreadable = await secretsNotOpening(database.db, key);
  log.info({ source, ...(file && { file }), sealed }, source === 'generated' ? 'secret key generated (back it up with the data directory)' : 'secret key loaded');
  if (unreadable.length > 0) {
    log.error(
      { webhookIds: unreadable },
      `${unreadable.length} webhook secret(s) cannot be decrypted with this key: their deliveries fail until ${KEY_VARIABLE} is set to the key they were encrypted with`,
    );
  }
  return key;
}

