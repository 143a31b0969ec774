/**
 * Secrets at rest (webhook signing secrets): AES-256-GCM from node:crypto under a key
 * derived (HKDF) from the server's key (DROPSCOPE_SECRET_KEY, or the data directory's
 * secret.key on PGlite).
 *
 * Stored form, version 1: `v1:<iv>:<ciphertext + tag>`, both base64url; the IV is 12
 * random bytes per value, the tag 16 bytes. The associated data names where the value
 * belongs (the caller's `context`, e.g. `webhook_endpoints.secret:42`): a value copied into
 * another row or column fails to open instead of signing with someone else's secret. A
 * new format gets a new version prefix; `v1:` values stay readable.
 */
import { createCipheriv, createDecipheriv, hkdfSync, randomBytes } from 'node:crypto';
import { inspect } from 'node:util';

const KEY_BYTES = 32;
const IV_BYTES = 12;
const TAG_BYTES = 16;
const V1 = 'v1:';
/** The HKDF purpose of the v1 cipher's key. */
const V1_PURPOSE = 'secret-box v1 aes-256-gcm';

export type SecretBoxErrorCode = 'CRYPTO_ERR_KEY_FORMAT' | 'CRYPTO_ERR_FORMAT' | 'CRYPTO_ERR_OPEN';

export class SecretBoxError extends Error {
  constructor(
    readonly code: SecretBoxErrorCode,
    message: string,
  ) {
    super(message);
    this.name = 'SecretBoxError';
  }
}

/**
 * The 32-byte key. It prints as `[secret key]` (console, util.inspect, JSON, template
 * strings), so logging an object that holds it leaks nothing.
 */
export class SecretKey {
  readonly #bytes: Buffer;
  constructor(bytes: Buffer) {
    if (bytes.length !== KEY_BYTES) throw new RangeError(`a secret key is ${KEY_BYTES} bytes, got ${bytes.length}`);
    this.#bytes = Buffer.from(bytes);
  }
  readonly #derived = new Map<string, Buffer>();
  /** The raw bytes. Prefer derive(): one key per purpose. */
  bytes(): Buffer {
    return this.#bytes;
  }
  /**
   * A 32-byte key for one purpose (HKDF-SHA256 with `purpose` as info), so that the
   * webhook-secret cipher and, say, a session signer never share key material.
   */
  derive(purpose: string): Buffer {
    let k = this.#derived.get(purpose);
    if (!k) {
      k = Buffer.from(hkdfSync('sha256', this.#bytes, Buffer.alloc(0), `dropscope:${purpose}`, KEY_BYTES));
      this.#derived.set(purpose, k);
    }
    return k;
  }
  /** The key's text form, base64 (what `openssl rand -base64 32` prints): to write it to a key file. */
  toBase64(): string {
    return this.#bytes.toString('base64');
  }
  toString(): string {
    return '[secret key]';
  }
  toJSON(): string {
    return '[secret key]';
  }
  [inspect.custom](): string {
    return '[secret key]';
  }
}

/** What a key's text must look like, for error messages. */
export const KEY_FORMAT = '32 random bytes as base64 (44 characters, e.g. `openssl rand -base64 32`) or hex (64 characters, `openssl rand -hex 32`)';

/**
 * A key from its text: 64 hex digits, or base64 / base64url (padding optional) of 32
 * bytes; surrounding whitespace (a key file's newline) is ignored. Throws SecretBoxError
 * CRYPTO_ERR_KEY_FORMAT whose message never contains the text.
 */
export function parseSecretKey(text: string): SecretKey {
  const t = text.trim();
  if (/^[0-9a-fA-F]{64}$/.test(t)) return new SecretKey(Buffer.from(t, 'hex'));
  if (/^[A-Za-z0-9+/]{43}=?$/.test(t) || /^[A-Za-z0-9_-]{43}=?$/.test(t)) {
    const bytes = Buffer.from(t.replace(/=$/, ''), t.includes('-') || t.includes('_') ? 'base64url' : 'base64');
    if (bytes.length === KEY_BYTES) return new SecretKey(bytes);
  }
  throw new SecretBoxError('CRYPTO_ERR_KEY_FORMAT', `expected ${KEY_FORMAT}; got ${t.length} characters that are neither`);
}

export function generateSecretKey(): SecretKey {
  return new SecretKey(randomBytes(KEY_BYTES));
}

/** Whether `value` is in a stored (encrypted) form this module reads. */
export function isSealed(value: string): boolean {
  return value.startsWith(V1);
}

/** Encrypt `plaintext` for the place named by `context`. */
export function seal(key: SecretKey, plaintext: string, context: string): string {
  const iv = randomBytes(IV_BYTES);
  const cipher = createCipheriv('aes-256-gcm', key.derive(V1_PURPOSE), iv, { authTagLength: TAG_BYTES });
  cipher.setAAD(Buffer.from(context, 'utf8'));
  const body = Buffer.concat([cipher.update(plaintext, 'utf8'), cipher.final(), cipher.getAuthTag()]);
  return `${V1}${iv.toString('base64url')}:${body.toString('base64url')}`;
}

/**
 * Decrypt a value sealed for `context`. Throws SecretBoxError: CRYPTO_ERR_FORMAT for a
 * value that is not `v1:` form, CRYPTO_ERR_OPEN when the key is not the one it was sealed
 * with (or the value was altered or moved). Messages never contain the value.
 */
export function open(key: SecretKey, sealed: string, context: string): string {
  const m = /^v1:([A-Za-z0-9_-]+):([A-Za-z0-9_-]+)$/.exec(sealed);
  const iv = m ? Buffer.from(m[1]!, 'base64url') : null;
  const body = m ? Buffer.from(m[2]!, 'base64url') : null;
  if (!iv || !body || iv.length !== IV_BYTES || body.length < TAG_BYTES) {
    throw new SecretBoxError('CRYPTO_ERR_FORMAT', `the stored value is not in the v1:<iv>:<ciphertext> form (${isSealed(sealed) ? 'damaged' : 'not encrypted'})`);
  }
  try {
    const decipher = createDecipheriv('aes-256-gcm', key.derive(V1_PURPOSE), iv, { authTagLength: TAG_BYTES });
    decipher.setAAD(Buffer.from(context, 'utf8'));
    decipher.setAuthTag(body.subarray(body.length - TAG_BYTES));
    return Buffer.concat([decipher.update(body.subarray(0, body.length - TAG_BYTES)), decipher.final()]).toString('utf8');
  } catch {
    throw new SecretBoxError('CRYPTO_ERR_OPEN', 'cannot decrypt: the secret key in use is not the one it was encrypted with (or the stored value was altered)');
  }
}
