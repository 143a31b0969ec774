/**
 * The child's side of bench/child-process.ts: answer the parent's requests over the IPC
 * channel, and exit when the parent goes away, so a killed bench leaves no process behind.
 */
import { writeFileSync } from 'node:fs';
import { Session } from 'node:inspector';
import v8 from 'node:v8';

type Handler = (msg: Record<string, unknown>) => Promise<Record<string, unknown>> | Record<string, unknown>;

/** Answer requests with `handlers`; `heap` (after a full GC) and `mem` are built in. */
export function serve(own: Record<string, Handler>): void {
  if (!process.send) throw new Error('this module runs as a child of a bench, with an IPC channel');
  const handlers: Record<string, Handler> = {
    heap: () => ({ heapUsed: heapAfterGc() }),
    mem: () => memoryBreakdown(),
    'profile-start': () => profiler.start(),
    'profile-stop': (msg) => profiler.stop(String(msg.file)),
    snapshot: (msg) => ({ file: v8.writeHeapSnapshot(String(msg.file)) }),
    ...own,
  };
  process.on('message', (raw) => {
    const msg = raw as Record<string, unknown> & { type: string; seq: number };
    const handler = handlers[msg.type];
    const answer = handler ? Promise.resolve().then(() => handler(msg)) : Promise.reject(new Error(`unknown request ${msg.type}`));
    answer.then(
      (body) => process.send!({ ...body, seq: msg.seq }),
      (err: Error) => process.send!({ error: err.stack ?? String(err), seq: msg.seq }),
    );
  });
  process.on('disconnect', () => process.exit(0));
  // Exit normally when ended by PID, so node --cpu-prof still writes its profile.
  process.on('SIGTERM', () => process.exit(0));
}

/** A V8 CPU profile of a stretch of the child's life (the measured window), not all of it. */
const profiler = {
  session: null as Session | null,
  post(method: string, params?: object): Promise<unknown> {
    return new Promise((resolve, reject) => this.session!.post(method, params ?? {}, (err, result) => (err ? reject(err) : resolve(result))));
  },
  async start() {
    this.session = new Session();
    this.session.connect();
    await this.post('Profiler.enable');
    await this.post('Profiler.start');
    return {};
  },
  async stop(file: string) {
    const { profile } = (await this.post('Profiler.stop')) as { profile: object };
    writeFileSync(file, JSON.stringify(profile));
    this.session!.disconnect();
    this.session = null;
    return { file };
  },
};

/** An unsolicited message to the parent (`ready`). */
export function tell(type: string, body: Record<string, unknown> = {}): void {
  process.send!({ ...body, type });
}

/**
 * Where the process's memory is, in bytes: V8's heap (used, and reserved per space: the
 * young generation grows with the allocation rate, not with the number of connections)
 * and memory outside it (Buffers).
 */
export function memoryBreakdown(): Record<string, number> {
  const m = process.memoryUsage();
  const spaces = Object.fromEntries(v8.getHeapSpaceStatistics().map((s) => [s.space_name, s.space_size]));
  return {
    rss: m.rss,
    heapTotal: m.heapTotal,
    heapUsed: m.heapUsed,
    newSpace: spaces.new_space ?? 0,
    oldSpace: spaces.old_space ?? 0,
    codeSpace: spaces.code_space ?? 0,
    external: m.external,
    arrayBuffers: m.arrayBuffers,
  };
}

/** V8 heap in use after a full collection (needs node --expose-gc). */
export function heapAfterGc(): number {
  const gc = (globalThis as { gc?: () => void }).gc;
  if (!gc) throw new Error('run with node --expose-gc');
  gc();
  return process.memoryUsage().heapUsed;
}
