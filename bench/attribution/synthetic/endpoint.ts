/**
 * Application close codes at a fixed age: the endpoint's own session limit, token expiry
 * or idle policy, not a layer's timeout. Even behind nginx, and even at nginx's 60 s, a
 * close frame with 1000, 1008 or 4000-4999 is the application speaking (nginx sends none).
 */
import { closeFrame, DIRECT, ECHO, expectN, FRA, HB, NYC, paths, Scene, SQUID, target, timer, type Target } from '../blocks';
import type { Scenario } from '../scenario';

function endpointClose(o: { name: string; classes: string[]; app: Target; nS: number; code: number; drops: number; why: string; survivorsMs?: [number, number] }): Scenario {
  const s = new Scene(o.name);
  const at = timer.precise(o.nS);
  s.layerCut(paths([FRA, NYC], [o.app], [DIRECT, SQUID]), { drops: o.drops, nS: o.nS, at, end: closeFrame(o.code), kind: 'lifetime' });
  s.healthy(paths([FRA, NYC], [target('chat')], [DIRECT, SQUID]), 6, undefined, o.survivorsMs);
  return s.scenario({
    classes: o.classes,
    why: o.why,
    expect: { signatures: [{ nMs: expectN(at), kind: 'lifetime', place: { scope: 'target', value: o.app.name }, software: null, endedBy: 'endpoint' }] },
  });
}

export const endpointScenarios = (): Scenario[] => [
  endpointClose({
    name: 'app-close-4000-session-limit',
    classes: ['app-close', 'lifetime'],
    app: target('trading', {}, { canary: false }),
    nS: 300,
    code: 4000,
    drops: 140,
    why: 'A Node ws server ends every session at 5 min with 4000 "session limit", heartbeats or not: an application code, no Server header to name anything.',
  }),
  endpointClose({
    name: 'app-close-1008-token-expiry',
    classes: ['app-close', 'lifetime', 'software-wrong-place'],
    app: target('portal', { server: 'nginx/1.24.0' }, { canary: false }),
    nS: 3600,
    code: 1008,
    drops: 6,
    survivorsMs: [3_700_000, 21_600_000],
    why: 'The access token lives an hour and the application closes with 1008 (policy violation) when it expires; nginx in front (proxy_read_timeout 2h) only relays the frame, so its Server header names no culprit.',
  }),
  endpointClose({
    name: 'app-close-1000-at-60-behind-nginx',
    classes: ['app-close', 'software-wrong-place'],
    app: target('feed-api', { server: 'nginx/1.24.0' }, { canary: false }),
    nS: 60,
    code: 1000,
    drops: 80,
    why: "60 s is nginx's default and nginx fronts the target, but nginx closes with a bare FIN and only when idle: a 1000 close frame at 60 s of age, heartbeats included, is the application's.",
  }),
  collabIdleByMessages(),
  graphqlInitTimeout(),
];

/**
 * A graphql-ws endpoint closes every connection that has not sent connection_init within
 * connectionInitWaitTimeout (3 s by default) with 4408. Canaries never send it: all die at
 * 3 s, idle, heartbeat (first ping at 25 s) and echo (first message at 10 s) alike, all
 * still silent then, so idle and lifetime cannot be told apart. A fixed N of 3 s, not a
 * close right after the upgrade.
 */
function graphqlInitTimeout(): Scenario {
  const s = new Scene('app-close-4408-graphql-init-3s');
  const gql = target('graphql', {}, { canary: false });
  const at = timer.precise(3);
  for (const p of paths([FRA, NYC], [gql], [DIRECT, SQUID])) s.idleCut(p, 20, at, closeFrame(4408)).talkerCut(p, 20, at, closeFrame(4408), HB).talkerCut(p, 20, at, closeFrame(4408), ECHO);
  s.healthy(paths([FRA, NYC], [target('chat')], [DIRECT, SQUID]), 6);
  return s.scenario({
    classes: ['app-close', 'undetermined-place'],
    expect: { signatures: [{ nMs: expectN(at), kind: 'undetermined', place: { scope: 'target', value: 'graphql' }, software: null, endedBy: 'endpoint' }] },
  });
}

/**
 * An application that closes a session with 4408 after 30 s without an application
 * message (its idle policy): idle canaries die at 30 s; echo canaries, which send a
 * message every 10 s, live. Idle, and the endpoint's decision.
 */
function collabIdleByMessages(): Scenario {
  const s = new Scene('app-close-4408-idle-by-messages');
  const collab = target('collab', {}, { canary: false });
  const at = timer.precise(30);
  for (const p of paths([FRA, NYC], [collab], [DIRECT, SQUID])) s.idleCut(p, 9, at, closeFrame(4408)).survive(p, 5, ECHO);
  s.healthy(paths([FRA, NYC], [target('chat')], [DIRECT, SQUID]), 6);
  return s.scenario({
    classes: ['app-close'],
    expect: { signatures: [{ nMs: expectN(at), kind: 'idle', place: { scope: 'target', value: 'collab' }, software: null, endedBy: 'endpoint' }] },
  });
}
