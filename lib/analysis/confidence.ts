/**
 * How far to trust a signature's verdict, and what would make it surer. Each reason is a
 * fact the analysis established; each suggestion is a canary or a wait that would settle
 * what it could not.
 */
import { NAMED_SCORE } from './candidates';
import type { Candidate, Confidence, LocationScope, SignatureKind, Software } from './types';

/** Drops below which N itself may still move. */
const FEW = 10;

export function confidenceOf(s: {
  count: number;
  kind: SignatureKind;
  scope: LocationScope;
  value: string | null;
  hasControl: boolean;
  endedBy: 'layer' | 'endpoint';
  software: Software | null;
  candidates: readonly Candidate[];
  bothEndsSeen: boolean;
}): Confidence {
  const reasons: string[] = [];
  const raise: string[] = [];
  let points = 0;

  if (s.count >= FEW) {
    points += 1;
    reasons.push(`${s.count} drops at the same N`);
  } else raise.push(`let it run: ${s.count} drops so far, N firms up past ${FEW}`);

  if (s.endedBy === 'endpoint') {
    points += 1;
    reasons.push('the endpoint said so itself, with its close code');
  } else if (s.kind !== 'undetermined') {
    points += 1;
    reasons.push(s.kind === 'idle' ? 'canaries that talk outlived N, or the silence before each drop was N: an idle timeout' : 'canaries that talk died at N too: a lifetime limit');
  } else raise.push('add a heartbeat canary on this path to tell idle from lifetime');

  const placed = s.scope !== 'everywhere' && s.scope !== 'single-path';
  if (placed && s.hasControl) {
    points += 1;
    reasons.push('a clean control path differs from the cut ones only in that place');
  } else if (s.scope === 'single-path') {
    raise.push('add a canary to the same target directly or through another proxy (and one to another target through the same proxy) to place the layer');
  } else if (!s.hasControl) {
    raise.push('add a control: a canary that differs in one respect (another proxy, the direct path, another target) to place the layer');
  }

  const top = s.candidates[0];
  if (s.software) reasons.push(`the layer names itself: ${s.software.shownBy.header}: ${s.software.shownBy.value}`);
  if (top && (top.basis === 'identity' || top.score >= NAMED_SCORE)) reasons.push(`${top.name} fits (${top.basis === 'identity' ? 'named by its own header' : 'its documented value'})`);
  else if (s.endedBy === 'layer' && s.scope === 'target' && !s.software) {
    raise.push(`nothing names the layer in front of ${s.value}: ${s.bothEndsSeen ? 'ask whoever runs it for its timeouts' : 'put a dropscope canary target behind it to see each drop from both ends'}`);
  }

  const level = points >= 3 ? 'high' : points === 2 ? 'medium' : 'low';
  return { level, reasons, raise };
}
