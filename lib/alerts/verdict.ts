/**
 * A numeric rule's verdict on one observed value: breach past the threshold, clear past
 * the resolve threshold (the threshold itself unless a hysteresis band is set), hold in
 * between. upgrade_ratio fires below its threshold; every other kind fires above.
 */
import type { AlertKind, RuleCondition } from './rule';
import type { Verdict } from './state-machine';

export function judge(kind: AlertKind, condition: RuleCondition, value: number | null): Verdict {
  if (value === null) return 'clear';
  const resolveAt = condition.resolveThreshold ?? condition.threshold;
  if (kind === 'upgrade_ratio') {
    if (value < condition.threshold) return 'breach';
    return value >= resolveAt ? 'clear' : 'hold';
  }
  if (value > condition.threshold) return 'breach';
  return value <= resolveAt ? 'clear' : 'hold';
}
