/** How a timeline bar is coloured and named: by how its session ended. */
export const END_GROUPS = [
  { key: 'live', label: 'still open', colour: 'var(--end-live)' },
  { key: 'closed', label: 'closed by the probe', colour: 'var(--end-closed)' },
  { key: 'frame', label: 'close frame from the far side', colour: 'var(--end-frame)' },
  { key: 'drop', label: 'dropped (FIN, reset, silence, error)', colour: 'var(--end-drop)' },
  // Issue 19: closed by the server as lost (its probe came back without it, or was revoked):
  // an end time bounded by when the probe was last heard, no end kind; never a drop.
  { key: 'lost', label: 'lost (its probe came back without it)', colour: 'var(--end-lost, var(--closed))' },
] as const;
export type EndGroup = (typeof END_GROUPS)[number]['key'];

/** A session with an end but no end kind is one the server closed as lost (db/queries/ingest-lost.ts). */
export function endGroup(endedAt: string | null, endKind: string | null): EndGroup {
  if (!endedAt) return 'live';
  if (!endKind) return 'lost';
  if (endKind === 'probe_closed') return 'closed';
  if (endKind === 'close_frame') return 'frame';
  return 'drop';
}
