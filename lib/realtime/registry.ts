/**
 * The live publisher, shared between server.ts (which owns socket.io) and route handlers
 * (bundled separately by Next) through globalThis.
 */
import type { FeedItem } from './feed';

export interface LivePublisher {
  publish(items: readonly FeedItem[]): void;
}

const KEY = Symbol.for('dropscope.live');
type Holder = { [KEY]?: LivePublisher };

export function installLivePublisher(publisher: LivePublisher | undefined): void {
  (globalThis as Holder)[KEY] = publisher;
}

/** The installed publisher, or one that drops everything when none is (a CLI, a test without sockets). */
export function livePublisher(): LivePublisher {
  return (globalThis as Holder)[KEY] ?? { publish: () => {} };
}
