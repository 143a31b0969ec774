import { randomInt } from 'node:crypto';
import { createServer } from 'node:net';

/**
 * A port nobody listens on right now: bind port 0 on `host` (loopback by default), read it,
 * close. Whoever binds it later races every other process binding port 0 on that address in
 * between: on 127.0.0.1, where the tests running in parallel start their servers, pass an
 * address of the test's own instead (randomLoopback).
 */
export async function freePort(host = '127.0.0.1'): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, host, resolve);
  });
  const address = server.address();
  await new Promise((resolve) => server.close(resolve));
  if (typeof address !== 'object' || !address) throw new Error('freePort: no address');
  return address.port;
}

/**
 * A random address in 127.0.0.0/8 (all of it is loopback on Linux), none of 127.0.0.x: a
 * port found free there with freePort stays free until the test binds it, as no other test
 * listens on that address.
 */
export function randomLoopback(): string {
  return `127.${randomInt(1, 255)}.${randomInt(0, 256)}.${randomInt(1, 255)}`;
}
