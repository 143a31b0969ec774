/**
 * The process's secret key, installed by the server at start (server/secret-key.ts) and
 * fetched by route handlers that encrypt (creating a webhook). Next bundles route code
 * apart from server.ts, so it lives on globalThis under a Symbol.for key, like the database.
 */
import type { SecretKey } from './secret-box';

const KEY = Symbol.for('dropscope.secret-key');
type Holder = { [KEY]?: SecretKey };

export function installSecretKey(key: SecretKey | undefined): void {
  (globalThis as Holder)[KEY] = key;
}

/** The installed key. Throws if the server has not loaded one (it does before serving requests). */
export function installedSecretKey(): SecretKey {
  const key = (globalThis as Holder)[KEY];
  if (!key) throw new Error('no secret key installed: the server loads DROPSCOPE_SECRET_KEY (or the data directory\'s secret.key) before serving requests');
  return key;
}
