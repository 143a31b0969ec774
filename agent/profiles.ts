/**
 * Canary traffic profiles. Each starts on an open WebSocket and returns its stop function.
 *   idle      sends nothing: the shortest idle timeout on the path cuts it.
 *   heartbeat ping every interval, pong deadline: silent deaths noticed within P+T.
 *   echo      an application message every interval, echoed by the target: end-to-end
 *             message RTT, buffering proxies, large frames lost.
 *   ladder    idle for one gap, then a single ping: does the path survive this much silence?
 */
import type WebSocket from 'ws';
import type { ProfileConfig } from './config';

export interface ProfileSession {
  ws: WebSocket;
  clock: () => number;
  gapMs?: number;
  addRtt(rttMs: number): void;
  countSent(): void;
  deadline(reason: string): void;
  finish(reason: string): void;
}

export function startProfile(profile: ProfileConfig, s: ProfileSession): () => void {
  switch (profile.kind) {
    case 'idle':
      return () => {};
    case 'heartbeat':
      return heartbeat(s, profile.interval, profile.timeout);
    case 'echo':
      return echo(s, profile.interval, profile.timeout, profile.messageBytes);
    case 'ladder':
      return ladder(s, s.gapMs ?? profile.gaps[0]!, profile.timeout);
  }
}

/** Pings matched to pongs by an 8-byte id, so a late pong never counts for a newer ping. */
function pinger(s: ProfileSession, timeoutMs: number, onPong?: () => void) {
  let seq = 0;
  const outstanding = new Map<bigint, { sentAt: number; timer: NodeJS.Timeout }>();
  const onPongFrame = (data: Buffer) => {
    if (data.length !== 8) return;
    const id = data.readBigUInt64BE();
    const p = outstanding.get(id);
    if (!p) return;
    clearTimeout(p.timer);
    outstanding.delete(id);
    s.addRtt(s.clock() - p.sentAt);
    onPong?.();
  };
  s.ws.on('pong', onPongFrame);
  return {
    ping() {
      const id = BigInt(++seq);
      const payload = Buffer.alloc(8);
      payload.writeBigUInt64BE(id);
      const timer = setTimeout(() => s.deadline(`no pong within ${timeoutMs} ms`), timeoutMs);
      outstanding.set(id, { sentAt: s.clock(), timer });
      s.ws.ping(payload);
    },
    stop() {
      s.ws.off('pong', onPongFrame);
      for (const p of outstanding.values()) clearTimeout(p.timer);
      outstanding.clear();
    },
  };
}

function heartbeat(s: ProfileSession, intervalMs: number, timeoutMs: number): () => void {
  const p = pinger(s, timeoutMs);
  const timer = setInterval(() => p.ping(), intervalMs);
  return () => {
    clearInterval(timer);
    p.stop();
  };
}

function ladder(s: ProfileSession, gapMs: number, timeoutMs: number): () => void {
  const p = pinger(s, timeoutMs, () => s.finish(`ladder: survived ${gapMs / 1000}s idle`));
  const timer = setTimeout(() => p.ping(), gapMs);
  return () => {
    clearTimeout(timer);
    p.stop();
  };
}

/**
 * Echo messages carry [seq u64][sent-at f64 ms] then padding up to the configured size; the
 * target sends them back unchanged. A message not back within the deadline is a death.
 */
function echo(s: ProfileSession, intervalMs: number, timeoutMs: number, size: number): () => void {
  let seq = 0;
  const outstanding = new Map<bigint, NodeJS.Timeout>();
  const onMessage = (data: WebSocket.RawData, isBinary: boolean) => {
    if (!isBinary || !Buffer.isBuffer(data) || data.length < 16) return;
    const id = data.readBigUInt64BE(0);
    const timer = outstanding.get(id);
    if (!timer) return;
    clearTimeout(timer);
    outstanding.delete(id);
    s.addRtt(s.clock() - data.readDoubleBE(8));
  };
  s.ws.on('message', onMessage);
  const send = () => {
    const id = BigInt(++seq);
    const msg = Buffer.alloc(Math.max(16, size));
    msg.writeBigUInt64BE(id, 0);
    msg.writeDoubleBE(s.clock(), 8);
    outstanding.set(id, setTimeout(() => s.deadline(`echo of a ${msg.length}-byte message not back within ${timeoutMs} ms`), timeoutMs));
    s.ws.send(msg, { binary: true });
    s.countSent();
  };
  const timer = setInterval(send, intervalMs);
  return () => {
    clearInterval(timer);
    s.ws.off('message', onMessage);
    for (const t of outstanding.values()) clearTimeout(t);
    outstanding.clear();
  };
}
