/** Whether the request's principal may change the plan (and so see target header values). */
import { roleAtLeast, roleOf } from '@/lib/auth/roles';
import { currentPrincipal } from '@/server/auth/current';

export function canEditPlan(): boolean {
  const principal = currentPrincipal();
  const role = principal && roleOf(principal);
  return !!role && roleAtLeast(role, 'editor');
}
