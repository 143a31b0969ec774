/**
 * A realistic ingest workload for the benches: what a probe's reporter sends after a
 * while of running canaries through a few proxies.
 *
 * Each batch of 500 events holds 200 session.opened, 200 session.ended (half of them end
 * sessions opened in the same batch, half end sessions opened in the sender's previous
 * batch, so both merge paths of the session upsert run), 50 attempt.failed, 40
 * rtt.samples of 10 pings each and 10 probe.heartbeat. Every event id and session id is
 * unique, so every event is accepted and none is a duplicate.
 *
 * Beside it, issue 14's worst cases for the API against a COPY of the same rows:
 * newSessions (nothing to merge) and splitSessions (every row written twice).
 */
import type { IngestEvent, PathDescriptor } from '../lib/contracts/ingest';
import { ended, failed, heartbeat, opened, path, rtt } from '../test/helpers/events';

export const BATCH_EVENTS = 500;

const PATHS: PathDescriptor[] = [
  path({ target: 'canary-eu', proxy: 'direct', kind: 'direct' }),
  path({ target: 'canary-eu', proxy: 'squid', kind: 'http', profile: 'chatty' }),
  path({ target: 'canary-us', proxy: 'dante', kind: 'socks5' }),
  path({ target: 'canary-us', proxy: 'corp-gw', kind: 'https', profile: 'chatty' }),
];
const END_KINDS = ['tcp_fin', 'tcp_reset', 'pong_timeout', 'close_frame'] as const;

/** One sender's stream of batches; `sender` keeps session ids apart between senders. */
export function makeBatches(sender: string, batches: number, start = new Date('2026-11-01T12:00:00.000Z')): IngestEvent[][] {
  const out: IngestEvent[][] = [];
  let carried: { id: string; path: PathDescriptor; base: Date }[] = [];
  for (let b = 0; b < batches; b++) {
    const base = new Date(start.getTime() + b * 60_000);
    const batch: IngestEvent[] = [];
    const openedNow: typeof carried = [];
    for (let i = 0; i < 200; i++) {
      const s = { id: `${sender}-s${b}-${i}-${crypto.randomUUID()}`, path: PATHS[i % PATHS.length]!, base: new Date(base.getTime() + i * 37) };
      openedNow.push(s);
      batch.push(opened(s.id, { path: s.path, egressAddress: '203.0.113.7', responseHeaders: { server: 'nginx' } }, s.base));
    }
    // Sessions from the previous batch end now; the first batch ends its own instead.
    const toEnd = [...(carried.length ? carried : openedNow.slice(100)), ...openedNow.slice(0, 100)];
    for (const [i, s] of toEnd.entries()) {
      const durationMs = 60_000 + ((i * 7919) % 240_000);
      batch.push(
        ended(s.id, durationMs, {
          path: s.path,
          endKind: END_KINDS[i % END_KINDS.length],
          closeCode: i % 4 === 3 ? 1000 : 1006,
          bytesIn: 40 * i,
          bytesOut: 40 * i,
          messagesIn: i,
          messagesOut: i,
          rtt: { count: 10, minMs: 0.8, medianMs: 1.9, maxMs: 12.5 },
        }, s.base),
      );
    }
    carried = openedNow.slice(100);
    for (let i = 0; i < 50; i++) {
      batch.push(
        failed(`${sender}-f${b}-${i}-${crypto.randomUUID()}`, {
          path: PATHS[i % PATHS.length]!,
          outcome: i % 2 ? 'upgrade_refused' : 'proxy_refused',
          proxyReply: i % 2 ? undefined : 'HTTP/1.1 403 Access violation',
          errorMessage: 'refused by the proxy',
        }, base),
      );
    }
    for (let i = 0; i < 40; i++) {
      const s = openedNow[i]!;
      batch.push(rtt(s.id, Array.from({ length: 10 }, (_, k) => 0.5 + ((i * 13 + k * 7) % 40) / 4), { path: s.path }, s.base));
    }
    for (let i = 0; i < 10; i++) {
      batch.push(heartbeat({ at: new Date(base.getTime() + i * 6000).toISOString(), canaries: { open: 100, connecting: 2, backoff: 1 } }));
    }
    if (batch.length !== BATCH_EVENTS) throw new Error(`workload batch has ${batch.length} events, expected ${BATCH_EVENTS}`);
    out.push(batch);
  }
  return out;
}

// ---------------------------------------------------------------- worst cases (issue 14)

const WORST_PATHS = [path({ target: 'canary-eu' }), path({ target: 'canary-us', proxy: 'squid', kind: 'http', profile: 'chatty' })];
const START = new Date('2026-11-01T12:00:00.000Z');

/** Every event opens a session of its own: one new row per event, nothing merged. */
export function newSessions(sender: string, batches: number): IngestEvent[][] {
  return Array.from({ length: batches }, (_, b) =>
    Array.from({ length: BATCH_EVENTS }, (_, i) =>
      opened(`${sender}-n${b}-${i}-${crypto.randomUUID()}`, { path: WORST_PATHS[i % 2]!, egressAddress: '203.0.113.7' }, new Date(START.getTime() + b * 60_000 + i * 37)),
    ),
  );
}

/**
 * Every session's open in one batch and its end in the next: half of each batch inserts
 * rows, half rewrites the rows the previous batch inserted (the first batch's ends come
 * before their opens, which never arrive: rows that only ever have an end).
 */
export function splitSessions(sender: string, batches: number): IngestEvent[][] {
  const half = BATCH_EVENTS / 2;
  const ids = (b: number) => Array.from({ length: half }, (_, i) => ({ id: `${sender}-x${b}-${i}-${crypto.randomUUID()}`, p: WORST_PATHS[i % 2]!, at: new Date(START.getTime() + b * 60_000 + i * 37) }));
  let previous = ids(-1);
  const out: IngestEvent[][] = [];
  for (let b = 0; b < batches; b++) {
    const current = ids(b);
    out.push([
      ...current.map((s) => opened(s.id, { path: s.p, egressAddress: '203.0.113.7' }, s.at)),
      ...previous.map((s, i) => ended(s.id, 30_000 + i * 101, { path: s.p, endKind: i % 3 ? 'tcp_fin' : 'pong_timeout', bytesIn: i, bytesOut: i, messagesIn: i, messagesOut: i }, s.at)),
    ]);
    previous = current;
  }
  return out;
}
