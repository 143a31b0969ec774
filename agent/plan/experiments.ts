/**
 * Experiments the server asks of this probe (issue 18, `experiments` in the served plan): a
 * verification canary with a signature's recommended heartbeat, a reconnect schedule, a TCP
 * keepalive rung. Each names a target and a proxy; the probe runs it only on a target ×
 * proxy it already runs a canary on (from probe.yaml or the server's paths), with that
 * canary's own definitions: an experiment never sends a canary anywhere the probe did not
 * already go, nor with other credentials. Otherwise it is reported `unconfigured`, with why.
 *
 * Its canaries are keyed `${target}|${proxy}|x${id}:${label}|${n}`: apart from any path's
 * slots (a path may use a profile of the same name), and one unit per experiment.
 */
import type { ExperimentSpec } from '../../lib/contracts/plan';
import { profileLabelOf, slotsOf, type ConfigProblem, type PlannedCanary } from '../config';
import { unitKey } from './diff';
import type { PathOutcome } from './server-plan';

/** Duplicate experiment ids, as problems at `experiments.<i>.id` (the whole plan is then refused, as for paths). */
export function duplicateExperimentIds(specs: readonly ExperimentSpec[]): ConfigProblem[] {
  const ids = new Set<number>();
  const problems: ConfigProblem[] = [];
  specs.forEach((x, i) => {
    if (ids.has(x.id)) problems.push({ path: `experiments.${i}.id`, message: `duplicate experiment id ${x.id}` });
    ids.add(x.id);
  });
  return problems;
}

/**
 * The canaries of `specs` on this probe, and what became of each (source `experiment`).
 * @param running the canaries of the plan without experiments: probe.yaml's and the server paths'.
 */
export function resolveExperiments(specs: readonly ExperimentSpec[], running: readonly PlannedCanary[]): { canaries: PlannedCanary[]; outcomes: PathOutcome[] } {
  const pairs = new Map<string, PlannedCanary>();
  const targets = new Set<string>();
  for (const c of running) {
    if (c.source === 'experiment') continue;
    targets.add(c.target.name);
    const pair = `${c.target.name}|${c.proxy.name}`;
    if (!pairs.has(pair)) pairs.set(pair, c);
  }
  const canaries: PlannedCanary[] = [];
  const outcomes: PathOutcome[] = [];
  specs.forEach((x, i) => {
    const outcome: PathOutcome = { source: 'experiment', id: x.id, target: x.target, proxy: x.proxy, profile: x.profile.name, canaries: 0, units: [], state: 'running' };
    const on = pairs.get(`${x.target}|${x.proxy}`);
    if (!on) {
      const [reason, field] = targets.has(x.target)
        ? [`this probe does not run target "${x.target}" through proxy "${x.proxy}": an experiment only goes where the probe already goes`, 'proxy']
        : [`this probe runs no canary to target "${x.target}": an experiment only goes where the probe already goes`, 'target'];
      outcomes.push({ ...outcome, state: 'unconfigured', reason: reason.slice(0, 512), field: `experiments.${i}.${field}` });
      return;
    }
    const units = new Set<string>();
    const slots = slotsOf(x.profile, x.canaries);
    for (const { gapMs, n } of slots) {
      const profileLabel = profileLabelOf(x.profile, gapMs);
      const canary: PlannedCanary = {
        key: `${x.target}|${x.proxy}|x${x.id}:${profileLabel}|${n}`,
        target: on.target,
        proxy: on.proxy,
        profile: x.profile,
        gapMs,
        profileLabel,
        source: 'experiment',
        experimentId: x.id,
      };
      units.add(unitKey(canary));
      canaries.push(canary);
    }
    outcomes.push({ ...outcome, canaries: slots.length, units: [...units] });
  });
  return { canaries, outcomes };
}
