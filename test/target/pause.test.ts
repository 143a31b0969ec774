/** Pausing the canary target: open canaries get 1001, reconnects are closed at once with 1013, serving resumes by itself. */
import { createServer, type Server } from 'node:http';
import { afterEach, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { attachCanaryTarget, createCanaryTarget, type CanaryTarget } from '../../target/canary-target';

let server: Server | undefined;
let target: CanaryTarget | undefined;
afterEach(async () => {
  await target?.close();
  await new Promise<void>((r) => (server ? server.close(() => r()) : r()));
});

async function start(): Promise<string> {
  target = createCanaryTarget({ name: 'pausable', onSessionEnded: () => {} });
  server = createServer();
  attachCanaryTarget(server, target);
  await new Promise<void>((r) => server!.listen(0, '127.0.0.1', r));
  const a = server.address();
  return `ws://127.0.0.1:${typeof a === 'object' && a ? a.port : 0}/canary`;
}

const closed = (ws: WebSocket) => new Promise<{ code: number; reason: string }>((r) => ws.once('close', (code, reason) => r({ code, reason: reason.toString() })));
const opened = (ws: WebSocket) => new Promise<void>((r, j) => (ws.once('open', () => r()), ws.once('error', j)));

const PAUSE_MS = 3000;

describe('canary target pause', () => {
  it('cuts open canaries, closes new ones right after the upgrade, and resumes after the pause', async () => {
    const url = await start();
    const before = new WebSocket(url);
    await opened(before);
    const cut = closed(before);
    // Long enough that the reconnect below lands inside the pause on a loaded machine (the
    // pause ends on a real timer).
    const { pausedUntil } = target!.pause(PAUSE_MS);
    expect(pausedUntil.getTime()).toBeGreaterThan(Date.now());
    expect(await cut).toEqual({ code: 1001, reason: 'target paused' });

    const during = new WebSocket(url);
    const refused = closed(during);
    await opened(during);
    expect(await refused).toEqual({ code: 1013, reason: 'target paused' });
    expect(target!.pausedUntil()).not.toBeNull();

    // Bounded: the pause ends by itself after PAUSE_MS.
    const deadline = Date.now() + PAUSE_MS + 20_000;
    while (target!.pausedUntil() !== null && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
    expect(target!.pausedUntil()).toBeNull();
    const after = new WebSocket(url);
    await opened(after);
    expect(target!.openSessions()).toBe(1);
    after.close();
    await closed(after);
  });
});
