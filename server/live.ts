/**
 * socket.io for dashboards: every accepted batch is pushed to every connected browser,
 * coalesced to at most one message per interval, with a watermark of what was committed
 * (lib/realtime/feed.ts) that the browsers' refetches then ask for.
 *
 * Several servers on one PostgreSQL: each push also goes to the other servers through
 * the PostgreSQL adapter (live-adapter.ts), and each server hands the pushes it receives
 * to its own browsers. A server sends to its own sockets itself rather than broadcasting
 * through the adapter, so that it sees every push, its own and the others', and can tell
 * a browser that connects the newest watermark (its catch-up refetch then shares the
 * answer the other viewers asked for).
 */
import { randomBytes } from 'node:crypto';
import type { IncomingMessage, Server as HttpServer } from 'node:http';
import { Server as SocketServer } from 'socket.io';
import { createCoalescer } from '../lib/realtime/coalescer';
import { LIVE_EVENT, LIVE_WATERMARK_EVENT, type LivePush, type LiveWatermark, type Watermark } from '../lib/realtime/feed';
import { livePushSchema } from '../lib/realtime/feed-schema';
import { installLivePublisher } from '../lib/realtime/registry';
import type { Logger } from '../lib/log';
import { createLiveAdapter, type LiveAdapter } from './live-adapter';

/** The server-to-server event carrying a push (never sent to browsers). */
const RELAY_EVENT = 'live.push';

interface ServerToClient {
  [LIVE_EVENT]: (push: LivePush) => void;
  [LIVE_WATERMARK_EVENT]: (w: LiveWatermark) => void;
}
interface InterServer {
  [RELAY_EVENT]: (push: unknown) => void;
}

export interface Live {
  io: SocketServer<Record<string, never>, ServerToClient, InterServer>;
  close(): Promise<void>;
}

export interface LiveOptions {
  intervalMs: number;
  log: Logger;
  /** DATABASE_URL when it is PostgreSQL: relay pushes to the other servers on it. */
  postgresUrl?: string;
  /** How long the relay's first connection keeps trying at start (db/start-wait.ts). */
  startWaitMs?: number;
  /**
   * Who may connect (server/auth/gate.ts): null to accept, or why not. Checked on the
   * handshake of every transport, polling and WebSocket alike.
   */
  admit?: (req: IncomingMessage) => Promise<{ status: number; message: string } | null>;
  /** How often open connections are checked again (a session that ended, a token revoked). */
  recheckMs?: number;
}

/** @throws when `postgresUrl` is given and PostgreSQL refuses the adapter's pool or table. */
export async function attachLive(httpServer: HttpServer, options: LiveOptions): Promise<Live> {
  const { log } = options;
  const relay: LiveAdapter | null = options.postgresUrl ? await createLiveAdapter(options.postgresUrl, log, options.startWaitMs) : null;
  const io: Live['io'] = new SocketServer(httpServer, {
    path: '/socket.io',
    serveClient: false,
    // Other upgrade handlers share this server (Next's HMR in dev, the canary endpoint):
    // socket.io must not destroy upgrade requests that are not its own.
    destroyUpgrade: false,
    allowRequest: (req, callback) => {
      if (!options.admit) return callback(null, true);
      options.admit(req).then(
        (refusal) => callback(refusal ? `${refusal.status} ${refusal.message}` : null, !refusal),
        (err: unknown) => {
          log.warn({ err }, 'could not check a live connection\'s credentials; refused');
          callback('credentials cannot be checked now', false);
        },
      );
    },
  });
  if (relay) io.adapter(relay.adapter);

  // This process's part of the watermarks it assigns: a restart starts a new series.
  const origin = randomBytes(6).toString('hex');
  let sequence = 0;
  let newest: Watermark | null = null;
  const deliver = (push: LivePush) => {
    newest = push.watermark;
    io.local.emit(LIVE_EVENT, push);
  };

  const coalescer = createCoalescer(
    (coalesced) => {
      // Stamped here, after every batch it covers committed (ingest publishes after commit).
      const push: LivePush = { ...coalesced, watermark: `${origin}:${++sequence}` };
      deliver(push);
      // As JSON, the way browsers get it: the adapter packs a large message with msgpack,
      // which would turn an absent field (undefined) into null and fail the schema.
      if (relay) io.serverSideEmit(RELAY_EVENT, JSON.parse(JSON.stringify(push)) as unknown);
    },
    { intervalMs: options.intervalMs, maxItems: 100 },
  );
  installLivePublisher({ publish: (items) => coalescer.add(items) });

  if (relay) {
    io.on(RELAY_EVENT, (payload: unknown) => {
      // Another server, possibly of another build during a rolling deploy: parsed like any edge.
      const push = livePushSchema.safeParse(payload);
      if (!push.success) {
        log.warn({ issues: push.error.issues.slice(0, 3) }, 'a live push relayed from another server was not understood; dropped');
        return;
      }
      deliver(push.data);
    });
  }
  io.on('connection', (socket) => {
    socket.emit(LIVE_WATERMARK_EVENT, { watermark: newest });
  });
  // A dashboard stays connected for days: who signed out, was removed or whose token was
  // revoked stops receiving pushes within a recheck.
  const recheck = options.admit
    ? setInterval(() => {
        for (const socket of io.of('/').sockets.values()) {
          options.admit!(socket.request).then(
            (refusal) => {
              if (refusal) socket.disconnect(true);
            },
            () => {}, // the database is away: keep the connection, check again next time
          );
        }
      }, options.recheckMs ?? 60_000)
    : null;
  recheck?.unref();

  return {
    io,
    close: async () => {
      installLivePublisher(undefined);
      if (recheck) clearInterval(recheck);
      coalescer.close();
      // Closes the adapter too (its LISTEN connection and timers), then the pool.
      await new Promise<void>((resolve) => io.close(() => resolve()));
      await relay?.close();
    },
  };
}
