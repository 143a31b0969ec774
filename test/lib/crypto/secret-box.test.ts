/**
 * Secrets at rest: the v1 form, a fresh IV per value, a value that opens only with its key
 * and in its place (associated data), keys parsed from base64 / base64url / hex, and
 * neither a key nor a value ever in an error message or a printout.
 */
import { randomBytes } from 'node:crypto';
import { inspect } from 'node:util';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { parseServerConfig } from '../../../lib/config/server-env';
import { generateSecretKey, isSealed, open, parseSecretKey, seal, SecretBoxError, SecretKey } from '../../../lib/crypto/secret-box';

const key = generateSecretKey();
const SECRET = 'whsec_' + randomBytes(32).toString('base64');

describe('seal and open', () => {
  it('writes v1:<iv>:<ciphertext+tag> in base64url, with no trace of the plaintext', () => {
    const sealed = seal(key, SECRET, 'webhook:1');
    expect(sealed).toMatch(/^v1:[A-Za-z0-9_-]{16}:[A-Za-z0-9_-]+$/);
    expect(isSealed(sealed)).toBe(true);
    expect(isSealed(SECRET)).toBe(false);
    expect(sealed).not.toContain(SECRET.slice(6, 20));
    expect(Buffer.from(sealed.split(':')[2]!, 'base64url')).toHaveLength(Buffer.byteLength(SECRET) + 16);
    expect(open(key, sealed, 'webhook:1')).toBe(SECRET);
  });

  it('uses a fresh IV each time: the same secret seals differently', () => {
    const a = seal(key, SECRET, 'webhook:1');
    const b = seal(key, SECRET, 'webhook:1');
    expect(a).not.toBe(b);
    expect(a.split(':')[1]).not.toBe(b.split(':')[1]);
  });

  it('round-trips any text', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'grapheme' }), fc.string(), (text, context) => {
        expect(open(key, seal(key, text, context), context)).toBe(text);
      }),
      { numRuns: 300 },
    );
  });

  it('does not open with another key, in another place, or altered, and says so without the value', () => {
    const sealed = seal(key, SECRET, 'webhook:1');
    const fail = (f: () => unknown) => {
      try {
        f();
      } catch (err) {
        return err as SecretBoxError;
      }
      throw new Error('it opened');
    };
    const wrongKey = fail(() => open(generateSecretKey(), sealed, 'webhook:1'));
    expect(wrongKey).toBeInstanceOf(SecretBoxError);
    expect(wrongKey.code).toBe('CRYPTO_ERR_OPEN');
    expect(wrongKey.message).toMatch(/not the one it was encrypted with/);
    expect(fail(() => open(key, sealed, 'webhook:2')).code).toBe('CRYPTO_ERR_OPEN');
    const body = sealed.split(':')[2]!;
    const flipped = `${sealed.slice(0, sealed.length - body.length)}${body[0] === 'A' ? 'B' : 'A'}${body.slice(1)}`;
    expect(fail(() => open(key, flipped, 'webhook:1')).code).toBe('CRYPTO_ERR_OPEN');
    expect(fail(() => open(key, SECRET, 'webhook:1'))).toMatchObject({ code: 'CRYPTO_ERR_FORMAT', message: expect.stringMatching(/not encrypted/) });
    expect(fail(() => open(key, 'v1:abc:def', 'webhook:1')).code).toBe('CRYPTO_ERR_FORMAT');
    for (const e of [wrongKey, fail(() => open(key, SECRET, 'x'))]) expect(e.message).not.toContain(SECRET);
  });
});

describe('keys', () => {
  const bytes = randomBytes(32);
  const sealedWith = (k: SecretKey) => seal(k, 'x', 'c');

  it('parses base64 (as openssl rand -base64 32 prints it), base64url, unpadded, hex, and ignores a newline', () => {
    const reference = new SecretKey(bytes);
    const sealed = sealedWith(reference);
    for (const text of [bytes.toString('base64'), `${bytes.toString('base64')}\n`, bytes.toString('base64url'), bytes.toString('base64').replace(/=$/, ''), bytes.toString('hex'), bytes.toString('hex').toUpperCase()]) {
      expect(open(parseSecretKey(text), sealed, 'c'), text).toBe('x');
    }
  });

  it.each([
    ['too short', randomBytes(16).toString('base64')],
    ['too long', randomBytes(48).toString('base64')],
    ['hex of 31 bytes', randomBytes(31).toString('hex')],
    ['not base64', '!'.repeat(44)],
    ['a passphrase', 'correct horse battery staple'],
    ['empty', ''],
  ])('refuses a key that is %s, without repeating it', (_what, text) => {
    let err: unknown;
    try {
      parseSecretKey(text);
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(SecretBoxError);
    expect((err as SecretBoxError).code).toBe('CRYPTO_ERR_KEY_FORMAT');
    expect((err as Error).message).toMatch(/^expected 32 random bytes as base64 \(44 characters, e\.g\. `openssl rand -base64 32`\) or hex/);
    if (text.length > 3) expect((err as Error).message).not.toContain(text);
  });

  it('never prints the key', () => {
    const k = new SecretKey(bytes);
    const b64 = bytes.toString('base64');
    for (const shown of [String(k), `${k}`, JSON.stringify({ k }), inspect(k), inspect({ nested: { k } }, { depth: 5 })]) {
      expect(shown).toContain('[secret key]');
      expect(shown).not.toContain(b64.slice(0, 12));
      expect(shown).not.toContain(bytes.toString('hex').slice(0, 12));
    }
    expect(k.toBase64()).toBe(b64);
  });

  it('derives a different key per purpose, none of them the key itself', () => {
    const k = new SecretKey(bytes);
    expect(k.derive('a')).toHaveLength(32);
    expect(k.derive('a').equals(k.derive('a'))).toBe(true);
    expect(k.derive('a').equals(k.derive('b'))).toBe(false);
    expect(k.derive('a').equals(bytes)).toBe(false);
  });

  it('is DROPSCOPE_SECRET_KEY, optional, and a bad one stops the server naming the variable but not the value', () => {
    expect(parseServerConfig({}).DROPSCOPE_SECRET_KEY).toBeUndefined();
    expect(parseServerConfig({ DROPSCOPE_SECRET_KEY: '' }).DROPSCOPE_SECRET_KEY).toBeUndefined();
    const parsed = parseServerConfig({ DROPSCOPE_SECRET_KEY: bytes.toString('base64') }).DROPSCOPE_SECRET_KEY!;
    expect(open(parsed, sealedWith(new SecretKey(bytes)), 'c')).toBe('x');
    const bad = 'hunter2-is-not-a-key';
    expect(() => parseServerConfig({ DROPSCOPE_SECRET_KEY: bad })).toThrow(/invalid configuration: DROPSCOPE_SECRET_KEY: expected 32 random bytes as base64 .* got 20 characters/);
    expect(() => parseServerConfig({ DROPSCOPE_SECRET_KEY: bad })).not.toThrow(/hunter2/);
  });
});
