/**
 * The SQL behind lib/analysis/findings.ts: grouped counts, never sessions by the million.
 * Each finding reads its own aggregate for the sealed hours of a range and the session rows
 * for the rest (issue 14; db/queries/sealed-aggregate.ts), so its answer equals one read
 * from the rows alone; FINDINGS_AGGREGATES lists them for the sealer (report-bins.ts).
 */
import type { SealedAggregate } from './sealed-aggregate';
import { EGRESS_NEAR, EGRESS_RUNS } from './finding-egress';
import { LADDER_RUNGS } from './finding-ladder';
import { REFUSALS } from './finding-refusals';
import { DROP_MINUTES, RTT_HOURS } from './finding-rtt';
import { SILENT_DEATHS } from './finding-silent';

export { egressStats } from './finding-egress';
export { ladderRungs } from './finding-ladder';
export { refusalGroups } from './finding-refusals';
export { rttBeforeDrops } from './finding-rtt';
export { silentGroups } from './finding-silent';

export const FINDINGS_AGGREGATES: readonly SealedAggregate[] = [REFUSALS, SILENT_DEATHS, LADDER_RUNGS, DROP_MINUTES, RTT_HOURS, EGRESS_RUNS, EGRESS_NEAR];
