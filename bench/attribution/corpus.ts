/**
 * The corpus: every synthetic family, then the lab's recordings of real daemons. Building
 * it is deterministic (each scenario seeds its RNG from its name).
 */
import type { Scenario } from './scenario';
import { labScenarios, type UnreadableLabFile } from './lab';
import { coarseScenarios } from './synthetic/coarse';
import { endpointScenarios } from './synthetic/endpoint';
import { experimentScenarios } from './synthetic/experiments';
import { layerScenarios } from './synthetic/layers';
import { neighbours200NatLabel, neighbours576063, neighboursShort12And15, neighboursSocksSpreadBlackHole, neighboursTightBetweenSpikes } from './synthetic/neighbours';
import { closeFrameAfterSilence, closeFrameGatewayBothSides, neverPongBesideNginx, neverPongHeartbeatLadder, targetPauseDemo, targetPauseManyProbes, targetPauseOpenCanariesCoincide } from './synthetic/phantoms';
import { refusalScenarios } from './synthetic/refusals';
import { blackHoleOnly, lifetimeSilentFirewall, lifetimeSilentLabel, undeterminedLadderThatDied, undeterminedProbeOnlyIdle, undeterminedSingleProxyPath } from './synthetic/silent';
import { softwareScenarios } from './synthetic/software';
import { stragglersLabel, stragglersProxy, stragglersTarget } from './synthetic/stragglers';

export function syntheticScenarios(): Scenario[] {
  return [
    neverPongHeartbeatLadder(),
    neverPongBesideNginx(),
    targetPauseDemo(),
    targetPauseManyProbes(),
    targetPauseOpenCanariesCoincide(),
    closeFrameAfterSilence(),
    closeFrameGatewayBothSides(),
    ...softwareScenarios(),
    neighbours576063(),
    neighboursTightBetweenSpikes(),
    neighboursSocksSpreadBlackHole(),
    neighbours200NatLabel(),
    neighboursShort12And15(),
    ...coarseScenarios(),
    stragglersTarget(),
    stragglersProxy(),
    stragglersLabel(),
    lifetimeSilentFirewall(),
    lifetimeSilentLabel(),
    blackHoleOnly(),
    undeterminedSingleProxyPath(),
    undeterminedProbeOnlyIdle(),
    undeterminedLadderThatDied(),
    ...endpointScenarios(),
    ...layerScenarios(),
    ...refusalScenarios(),
    ...experimentScenarios(),
  ];
}

/** The synthetic scenarios and the lab's recordings (an unreadable recording is kept, to be reported). */
export function corpus(labDir?: string): (Scenario | UnreadableLabFile)[] {
  return [...syntheticScenarios(), ...labScenarios(labDir)];
}
