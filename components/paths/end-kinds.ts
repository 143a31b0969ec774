/** How a timeline bar is coloured and named: by how its session ended. */
export const END_GROUPS = [
  { key: 'live', label: 'still open', colour: 'var(--end-live)' },
  { key: 'closed', label: 'closed by the probe', colour: 'var(--end-closed)' },
  { key: 'frame', label: 'close frame from the far side', colour: 'var(--end-frame)' },
  { key: 'drop', label: 'dropped (FIN, reset, silence, error)', colour: 'var(--end-drop)' },
] as const;
export type EndGroup = (typeof END_GROUPS)[number]['key'];

export function endGroup(endedAt: string | null, endKind: string | null): EndGroup {
  if (!endedAt || !endKind) return 'live';
  if (endKind === 'probe_closed') return 'closed';
  if (endKind === 'close_frame') return 'frame';
  return 'drop';
}
