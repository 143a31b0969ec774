/**
 * The hand-made batch the empty page suggests: one canary that opened and was dropped after
 * exactly 60 s, so every panel has something to show. Built from `now` so it lands inside
 * the page's window, and checked against the ingest contract by its test.
 */
import type { IngestBatch } from '../contracts/ingest';

export interface CurlExample {
  /** The shell command, reading the token from $DROPSCOPE_TOKEN. */
  command: string;
  batch: IngestBatch;
}

/** `origin` is e.g. `http://127.0.0.1:3000`; the caller makes sure it is one. */
export function curlExample(origin: string, now: Date): CurlExample {
  const stamp = now.getTime();
  const at = (msBeforeNow: number) => new Date(stamp - msBeforeNow).toISOString();
  const path = {
    target: { name: 'echo', url: 'wss://echo.example.com/ws' },
    proxy: { name: 'direct', kind: 'direct' as const },
    profile: 'idle',
  };
  const sessionId = `demo-${stamp}`;
  const batch: IngestBatch = {
    events: [
      {
        type: 'session.opened', id: `${sessionId}-open`, sessionId, path,
        attemptedAt: at(60_050), openedAt: at(60_000), timings: { tcpMs: 12, upgradeMs: 38 }, httpStatus: 101,
      },
      {
        type: 'session.ended', id: `${sessionId}-end`, sessionId, path,
        attemptedAt: at(60_050), endedAt: at(0), durationMs: 60_000, endKind: 'tcp_fin', closeCode: 1006,
        bytesIn: 0, bytesOut: 0, messagesIn: 0, messagesOut: 0,
      },
    ],
  };
  const body = `{"events":[\n${batch.events.map((e) => `  ${JSON.stringify(e)}`).join(',\n')}\n]}`;
  const command = [
    `curl -sS -X POST '${origin}/api/v1/ingest' \\`,
    `  -H "Authorization: Bearer $DROPSCOPE_TOKEN" \\`,
    `  -H 'Content-Type: application/json' \\`,
    `  --data-binary @- <<'JSON'`,
    body,
    'JSON',
  ].join('\n');
  return { command, batch };
}
