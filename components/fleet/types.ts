/**
 * What the fleet page hands its client components: the fleet plan as GET /api/v1/plan
 * answers it and the chains of entry points (lib/plans/types.ts), the probes a path
 * selector can pick, and per server path which probes run it and which could not (from the
 * probes' own status reports).
 */
export type { FleetPlanView, PlanChainView, PlanPathView, PlanProfileView, PlanProxyView, PlanTargetView } from '../../lib/plans/types';

/** A probe as a selector sees it (revoked probes and canary targets are left out: they fetch no plan). */
export interface FleetProbe {
  name: string;
  labels: Record<string, string>;
}

/** One server path across the fleet, as its probes last reported it. */
export interface PathFleetStatus {
  /** Probes running it, with their canaries open and planned. */
  running: { probe: string; open: number; canaries: number }[];
  /** Probes that could not run it, with why and the field at fault. */
  unconfigured: { probe: string; reason: string | null; field: string | null }[];
}
