/**
 * What a viewer sees of the fleet plan: target header values can be credentials (an
 * Authorization header), so, as with webhook URLs, only editors see them; viewers see the
 * header names.
 */
import type { FleetPlanView, PlanTargetView } from './types';

export const HIDDEN_HEADER_VALUE = '(hidden)';

export function targetForViewer(target: PlanTargetView): PlanTargetView {
  return { ...target, headers: Object.fromEntries(Object.keys(target.headers).map((k) => [k, HIDDEN_HEADER_VALUE])) };
}

export function fleetPlanForViewer(plan: FleetPlanView): FleetPlanView {
  return { ...plan, targets: plan.targets.map(targetForViewer) };
}
