/**
 * Sessions that make the analysis find a cut on a path, as ingest events: idle canaries
 * that die at N of silence while heartbeat canaries on the same path outlive it (an idle
 * cut), or both dying at N of age (a lifetime limit). Deterministic jitter of ±50 ms.
 */
import type { IngestEvent, PathDescriptor } from '../../../lib/contracts/ingest';

export interface CutSpec {
  probe: string;
  target: string;
  proxy: string;
  nMs: number;
  kind: 'idle' | 'lifetime';
  /** Epoch ms of the first dial; the others follow `spacingMs` apart. */
  from: number;
  /** Sessions per profile (idle and heartbeat). */
  count: number;
  spacingMs: number;
}

let seq = 0;

function descriptor(spec: CutSpec, profile: 'idle' | 'heartbeat'): PathDescriptor {
  return {
    target: { name: spec.target, url: `ws://127.0.0.1:9/${spec.target}` },
    proxy: spec.proxy === 'direct' ? { name: 'direct', kind: 'direct' } : { name: spec.proxy, kind: 'http', url: 'http://127.0.0.1:3128' },
    profile,
    profileKind: profile,
  };
}

/** One session: dialled at `at`, open 5 ms later, ended `durationMs` after that. */
export function sessionEvents(where: PathDescriptor, at: number, durationMs: number, end: { endKind: 'tcp_fin' | 'probe_closed' | 'tcp_reset'; idleMs: number; closeReason?: string }): IngestEvent[] {
  const sessionId = `seed-${process.pid}-${++seq}`;
  const attemptedAt = new Date(at).toISOString();
  return [
    { type: 'session.opened', id: `${sessionId}-o`, sessionId, path: where, attemptedAt, openedAt: new Date(at + 5).toISOString(), timings: {}, httpStatus: 101 },
    {
      type: 'session.ended',
      id: `${sessionId}-e`,
      sessionId,
      path: where,
      attemptedAt,
      endedAt: new Date(at + 5 + durationMs).toISOString(),
      durationMs,
      sinceLastRecvMs: end.idleMs,
      sinceLastSentMs: end.idleMs,
      endKind: end.endKind,
      closeCode: end.endKind === 'probe_closed' ? 1000 : 1006,
      ...(end.closeReason && { closeReason: end.closeReason }),
      bytesIn: 0,
      bytesOut: 0,
      messagesIn: 0,
      messagesOut: 0,
    },
  ];
}

export function cutEvents(spec: CutSpec): IngestEvent[] {
  const out: IngestEvent[] = [];
  for (let i = 0; i < spec.count; i++) {
    const age = spec.nMs + (((i * 37) % 101) - 50);
    const at = spec.from + i * spec.spacingMs;
    out.push(...sessionEvents(descriptor(spec, 'idle'), at, age, { endKind: 'tcp_fin', idleMs: age }));
    if (spec.kind === 'idle') {
      // Talking canaries outlive N: the cut follows silence.
      out.push(...sessionEvents(descriptor(spec, 'heartbeat'), at + 1, 3 * spec.nMs, { endKind: 'probe_closed', idleMs: 1_000, closeReason: 'probe stopping' }));
    } else {
      out.push(...sessionEvents(descriptor(spec, 'heartbeat'), at + 1, age, { endKind: 'tcp_fin', idleMs: 5_000 }));
    }
  }
  return out;
}
