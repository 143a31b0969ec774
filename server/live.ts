/**
 * socket.io for dashboards: every accepted batch is pushed to every connected browser,
 * coalesced to at most one message per interval.
 */
import type { Server as HttpServer } from 'node:http';
import { Server as SocketServer } from 'socket.io';
import { createCoalescer } from '../lib/realtime/coalescer';
import { LIVE_EVENT } from '../lib/realtime/feed';
import { installLivePublisher } from '../lib/realtime/registry';

export function attachLive(httpServer: HttpServer, options: { intervalMs: number }): { io: SocketServer; close(): Promise<void> } {
  const io = new SocketServer(httpServer, {
    path: '/socket.io',
    serveClient: false,
    // Other upgrade handlers share this server (Next's HMR in dev, the canary endpoint):
    // socket.io must not destroy upgrade requests that are not its own.
    destroyUpgrade: false,
  });
  const coalescer = createCoalescer((push) => io.emit(LIVE_EVENT, push), { intervalMs: options.intervalMs, maxItems: 100 });
  installLivePublisher({ publish: (items) => coalescer.add(items) });
  return {
    io,
    close: async () => {
      installLivePublisher(undefined);
      coalescer.close();
      await new Promise<void>((resolve) => io.close(() => resolve()));
    },
  };
}
