/** Chains of entry points as a plan entry kind, for entry-handlers.ts (the same answers as the other kinds). */
import { createPlanChain, deletePlanChain, getPlanChain, replacePlanChain } from '@/db/queries/chains';
import { planChainInputSchema } from '@/lib/plans/input';
import type { PlanChainView } from '@/lib/plans/types';
import type { EntryStore } from '../entry-handlers';

export const chains: EntryStore<typeof planChainInputSchema, PlanChainView> = {
  kind: 'chain',
  segment: 'chains',
  schema: planChainInputSchema,
  get: getPlanChain,
  create: createPlanChain,
  replace: replacePlanChain,
  remove: deletePlanChain,
};
