/**
 * A TCP relay that behaves like a stateful middle layer with an idle timeout: after
 * `idleMs` without a byte in either direction it ends both sides with a FIN, resets them,
 * or silently stops forwarding (a NAT entry forgotten). It records, on the same monotonic
 * clock as the code under test, when each connection's first downstream byte passed and
 * when it cut, so a test can check the probe's measurement against the truth.
 */
import { createServer, connect, type Server, type Socket } from 'node:net';

export type CutMode = 'fin' | 'reset' | 'blackhole';

export interface RelayConnection {
  firstDownAt: number | null;
  cutAt: number | null;
}

export interface Relay {
  port: number;
  connections: RelayConnection[];
  close(): Promise<void>;
}

/** `idleMs`: cut after that much silence; `lifetimeMs`: cut that long after the first downstream byte, traffic or not. */
export async function startRelay(upstreamPort: number, options: { idleMs?: number; lifetimeMs?: number; mode: CutMode }): Promise<Relay> {
  const connections: RelayConnection[] = [];
  const sockets = new Set<Socket>();
  const server: Server = createServer((down) => {
    const record: RelayConnection = { firstDownAt: null, cutAt: null };
    connections.push(record);
    const up = connect(upstreamPort, '127.0.0.1');
    sockets.add(down).add(up);
    for (const s of [down, up]) {
      s.on('error', () => {});
      s.on('close', () => sockets.delete(s));
    }
    let blackholed = false;
    let timer: NodeJS.Timeout | null = null;
    const arm = () => {
      if (options.idleMs === undefined) return;
      if (timer) clearTimeout(timer);
      timer = setTimeout(cut, options.idleMs);
    };
    const cut = () => {
      record.cutAt = performance.now();
      if (options.mode === 'fin') {
        down.end();
        up.end();
      } else if (options.mode === 'reset') {
        down.resetAndDestroy();
        up.resetAndDestroy();
      } else {
        blackholed = true;
      }
    };
    down.on('data', (c) => {
      if (blackholed) return;
      arm();
      up.write(c);
    });
    up.on('data', (c) => {
      if (blackholed) return;
      if (record.firstDownAt === null) {
        record.firstDownAt = performance.now();
        if (options.lifetimeMs !== undefined) timer = setTimeout(cut, options.lifetimeMs);
      }
      arm();
      down.write(c);
    });
    down.on('end', () => up.end());
    up.on('end', () => down.end());
    down.on('close', () => timer && clearTimeout(timer));
    arm();
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const address = server.address();
  return {
    port: typeof address === 'object' && address ? address.port : 0,
    connections,
    close: () =>
      new Promise((resolve) => {
        for (const s of sockets) s.destroy();
        server.close(() => resolve());
      }),
  };
}
