/** Server plans for the agent's plan tests, written as the server sends them and parsed as the probe does. */
import { serverPlanSchema, type ServerPlan, type ServerPlanWire } from '../../../lib/contracts/plan';

export const VERSION_A = '0123456789abcdef';
export const VERSION_B = 'fedcba9876543210';

export function wirePlan(over: Partial<ServerPlanWire> = {}): ServerPlanWire {
  return {
    version: VERSION_A,
    revision: 3,
    probe: { name: 'edge-eu', labels: { region: 'eu' } },
    targets: [{ name: 'app', url: 'ws://127.0.0.1:9/ws' }],
    proxies: [{ name: 'direct', url: 'direct' }],
    profiles: [],
    paths: [{ id: 1, targets: ['app'], proxies: ['direct'], profiles: ['idle'], canaries: 1 }],
    ...over,
  };
}

export function serverPlan(over: Partial<ServerPlanWire> = {}): ServerPlan {
  return serverPlanSchema.parse(wirePlan(over));
}
