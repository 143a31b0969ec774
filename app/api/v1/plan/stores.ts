/** Each kind of plan entry with its body schema and store functions, for entry-handlers.ts. */
import {
  createPlanPath,
  createPlanProfile,
  createPlanProxy,
  createPlanTarget,
  deletePlanPath,
  deletePlanProfile,
  deletePlanProxy,
  deletePlanTarget,
  getPlanPath,
  getPlanProfile,
  getPlanProxy,
  getPlanTarget,
  replacePlanPath,
  replacePlanProfile,
  replacePlanProxy,
  replacePlanTarget,
} from '@/db/queries/plans';
import { planPathInputSchema, planProfileInputSchema, planProxyInputSchema, planTargetInputSchema } from '@/lib/plans/input';
import { targetForViewer } from '@/lib/plans/redact';
import type { EntryStore } from './entry-handlers';
import type { PlanPathView, PlanProfileView, PlanProxyView, PlanTargetView } from '@/lib/plans/types';

export const targets: EntryStore<typeof planTargetInputSchema, PlanTargetView> = {
  kind: 'target',
  segment: 'targets',
  schema: planTargetInputSchema,
  get: getPlanTarget,
  create: createPlanTarget,
  replace: replacePlanTarget,
  remove: deletePlanTarget,
  forViewer: targetForViewer,
};

export const proxies: EntryStore<typeof planProxyInputSchema, PlanProxyView> = {
  kind: 'proxy',
  segment: 'proxies',
  schema: planProxyInputSchema,
  get: getPlanProxy,
  create: createPlanProxy,
  replace: replacePlanProxy,
  remove: deletePlanProxy,
};

export const profiles: EntryStore<typeof planProfileInputSchema, PlanProfileView> = {
  kind: 'profile',
  segment: 'profiles',
  schema: planProfileInputSchema,
  get: getPlanProfile,
  create: createPlanProfile,
  replace: replacePlanProfile,
  remove: deletePlanProfile,
};

export const paths: EntryStore<typeof planPathInputSchema, PlanPathView> = {
  kind: 'path',
  segment: 'paths',
  schema: planPathInputSchema,
  get: getPlanPath,
  create: createPlanPath,
  replace: replacePlanPath,
  remove: deletePlanPath,
};
