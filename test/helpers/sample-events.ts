/**
 * The ingest events of a synthetic session (test/lib/analysis/synthetic.ts), as a probe
 * would send them: opened `spacingMs` after the previous one, then ended.
 */
import type { SessionSample } from '../../lib/analysis/analyze';
import type { IngestEvent } from '../../lib/contracts/ingest';

export function sampleEvents(s: SessionSample, i: number, options: { base: number; spacingMs?: number }): IngestEvent[] {
  const openedAt = options.base + i * (options.spacingMs ?? 1000);
  const path = {
    target: { name: s.target, url: `ws://127.0.0.1:9/${s.target}` },
    proxy: { name: s.proxy, kind: s.proxyKind, ...(s.proxy !== 'direct' && { url: 'http://127.0.0.1:3128' }) },
    profile: s.profile,
    ...(s.profileKind && { profileKind: s.profileKind }),
  };
  const common = { sessionId: `sess-${String(i).padStart(7, '0')}`, path, attemptedAt: new Date(openedAt).toISOString() };
  const silentTail = s.endKind === 'pong_timeout' ? 3000 : 0;
  const durationMs = s.ageMs! + silentTail;
  return [
    { type: 'session.opened', id: `${common.sessionId}-o`, ...common, openedAt: new Date(openedAt).toISOString(), timings: {}, httpStatus: 101, responseHeaders: s.headers, ...(s.proxyHeaders && { proxyHeaders: s.proxyHeaders }) },
    {
      type: 'session.ended', id: `${common.sessionId}-e`, ...common, endedAt: new Date(openedAt + durationMs).toISOString(), durationMs,
      sinceLastRecvMs: s.endKind === 'pong_timeout' ? silentTail : (s.idleMs ?? 0), sinceLastSentMs: s.endKind === 'pong_timeout' ? 1000 : (s.idleMs ?? 0),
      endKind: s.endKind, closeCode: s.closeCode ?? undefined, bytesIn: 0, bytesOut: 0, messagesIn: 0, messagesOut: 0,
    },
  ];
}
