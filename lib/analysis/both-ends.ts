/**
 * The canary target's view of the same drops. A close frame at the target means something
 * spoke WebSocket to it (a proxy closing politely, or a deploy); the target's socket ending
 * at the probe's instant means a middle layer closed both sides; the target holding on long
 * after the probe saw the end means a black hole in between.
 */
import type { Drop } from './types';

const SAME_INSTANT_MS = 1000;
const LATE_MS = 5000;

export function bothEnds(members: readonly Drop[]): { observed: number; closeFrame: number; sameInstant: number; nothing: number; summary: string } | null {
  const seen = members.filter((d) => d.targetView !== null);
  if (seen.length === 0) return null;
  let closeFrame = 0;
  let sameInstant = 0;
  let nothing = 0;
  for (const d of seen) {
    const v = d.targetView!;
    if (v.closeFrameReceived) closeFrame += 1;
    else if (Math.abs(v.endedAt - d.endedAt) <= SAME_INSTANT_MS) sameInstant += 1;
    else if (v.endedAt - d.endedAt > LATE_MS) nothing += 1;
  }
  const n = seen.length;
  const parts: string[] = [];
  if (sameInstant >= 0.5 * n) parts.push(`the target's socket ended at the same instant in ${sameInstant} of ${n}: a layer between them closed both sides`);
  if (closeFrame >= 0.5 * n) parts.push(`the target received a close frame in ${closeFrame} of ${n}: something that speaks WebSocket closed politely (a proxy or a deploy)`);
  if (nothing >= 0.5 * n) parts.push(`the target kept its socket long after the probe lost it in ${nothing} of ${n}: a black hole in between`);
  if (parts.length === 0) parts.push(`target view mixed: ${sameInstant} same instant, ${closeFrame} close frame, ${nothing} no end seen, of ${n}`);
  return { observed: n, closeFrame, sameInstant, nothing, summary: parts.join('; ') };
}
