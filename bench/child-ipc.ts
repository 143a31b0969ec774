/**
 * The child's side of bench/child-process.ts: answer the parent's requests over the IPC
 * channel, and exit when the parent goes away, so a killed bench leaves no process behind.
 */

type Handler = (msg: Record<string, unknown>) => Promise<Record<string, unknown>> | Record<string, unknown>;

export function serve(handlers: Record<string, Handler>): void {
  if (!process.send) throw new Error('this module runs as a child of a bench, with an IPC channel');
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
}

/** An unsolicited message to the parent (`ready`). */
export function tell(type: string, body: Record<string, unknown> = {}): void {
  process.send!({ ...body, type });
}

/** V8 heap in use after a full collection (needs node --expose-gc). */
export function heapAfterGc(): number {
  const gc = (globalThis as { gc?: () => void }).gc;
  if (!gc) throw new Error('run with node --expose-gc');
  gc();
  return process.memoryUsage().heapUsed;
}
