/**
 * A server plan made concrete on this probe: its `${VAR}` placeholders filled from the
 * probe's environment, checked against probe.yaml, and expanded into canaries the way the
 * local plan is (agent/config.ts expandPaths), so equal slots get equal keys.
 *
 * A path the probe cannot run is not an error of the whole plan: it is reported
 * "unconfigured" with the reason and the plan field at fault, and the other paths run. What
 * the probe cannot make sense of at all (duplicate names or ids) rejects the whole plan, and
 * the probe keeps the plan it had.
 *
 * Why only some variables: a server plan is written by editors on the server, while the
 * probe's environment holds its own secrets (its token among them). A plan may name only
 * variables the probe's operator allowed: those listed under `plan.env`, and those named
 * DROPSCOPE_PROXY_*, so an editor cannot have a probe send `${DROPSCOPE_TOKEN}` to a proxy
 * they run. And placeholders count only in proxy URLs, where they stand for credentials.
 */
import type { ServerPlan } from '../../lib/contracts/plan';
import { BUILTIN_PROXY_NAME, PLACEHOLDER, proxyUrl } from '../../lib/contracts/plan';
import {
  BUILTIN_PROFILES,
  duplicateNames,
  expandPaths,
  profileMap,
  targetProblem,
  toProxyConfig,
  type ConfigProblem,
  type PlannedCanary,
  type ProbeConfig,
  type ProfileConfig,
  type ProxyConfig,
  type TargetConfig,
} from '../config';
import { canonicalJson, unitKey } from './diff';
import { duplicateExperimentIds, resolveExperiments } from './experiments';

/** Environment variables a server plan may always use, without `plan.env`. */
export const PROXY_ENV_PREFIX = 'DROPSCOPE_PROXY_';

/** What became of one target × proxy × profile of a server path, or of an experiment, on this probe. */
export interface PathOutcome {
  source: 'server' | 'experiment';
  /** The server path's id, or the experiment's. */
  id: number;
  target: string;
  proxy: string;
  profile: string;
  /** Canaries planned for it (every ladder rung); 0 when unconfigured. */
  canaries: number;
  /** Its units (agent/plan/diff.ts unitKey), to count its canaries' states. */
  units: string[];
  state: 'running' | 'unconfigured';
  reason?: string;
  /** The plan field at fault, e.g. `proxies.0.url`. */
  field?: string;
}

export type Resolution = { ok: true; canaries: PlannedCanary[]; paths: PathOutcome[] } | { ok: false; issues: ConfigProblem[] };

export interface ResolveContext {
  /** probe.yaml, parsed: its definitions win over the server's of the same name. */
  local: Pick<ProbeConfig, 'targets' | 'proxies' | 'profiles' | 'paths'>;
  env: Record<string, string | undefined>;
  /** `plan.env` from probe.yaml. */
  allowEnv: ReadonlySet<string>;
  /** probe.yaml's canaries: an experiment may run where they run (agent/plan/experiments.ts). */
  localCanaries?: readonly PlannedCanary[];
  /** `plan.fromServer: experiments`: the server's paths are not run, only its experiments. */
  experimentsOnly?: boolean;
}

/** A definition of the server's, usable or with why not. */
type Def<T> = { value: T; problem: null } | { value: null; problem: { reason: string; field: string } };

/** Resolve `doc` (already schema-checked) on this probe. */
export function resolveServerPlan(doc: ServerPlan, ctx: ResolveContext): Resolution {
  const issues = [...duplicateNames(doc.targets, 'targets'), ...duplicateNames(doc.proxies, 'proxies'), ...duplicateNames(doc.profiles, 'profiles')];
  const ids = new Set<number>();
  doc.paths.forEach((p, i) => {
    if (ids.has(p.id)) issues.push({ path: `paths.${i}.id`, message: `duplicate path id ${p.id}` });
    ids.add(p.id);
  });
  issues.push(...duplicateExperimentIds(doc.experiments));
  if (issues.length > 0) return { ok: false, issues };

  const localTargets = new Map(ctx.local.targets.map((t) => [t.name, t]));
  const localProxies = new Map(ctx.local.proxies.map((p) => [p.name, p]));
  const localProfiles = profileMap(ctx.local.profiles);

  const targets = new Map<string, Def<TargetConfig>>();
  doc.targets.forEach((t, i) => {
    const local = localTargets.get(t.name);
    if (local && canonicalJson(local) !== canonicalJson(t)) targets.set(t.name, differs('target', t.name, `targets.${i}`));
    else {
      const problem = targetProblem(t);
      targets.set(t.name, problem ? { value: null, problem: { reason: problem, field: `targets.${i}.tls.servername` } } : { value: t, problem: null });
    }
  });

  // Like probe.yaml, a server plan knows "direct" without defining it.
  const proxies = new Map<string, Def<ProxyConfig>>([[BUILTIN_PROXY_NAME, resolveProxy({ name: BUILTIN_PROXY_NAME, url: 'direct' }, 'paths', ctx, localProxies.get(BUILTIN_PROXY_NAME))]]);
  doc.proxies.forEach((p, i) => proxies.set(p.name, resolveProxy(p, `proxies.${i}.url`, ctx, localProxies.get(p.name))));

  // A server path may name a built-in profile without the plan defining it.
  const serverProfiles = new Map<string, { profile: ProfileConfig; field: string }>(BUILTIN_PROFILES.map((p) => [p.name, { profile: p, field: 'paths' }]));
  doc.profiles.forEach((p, i) => serverProfiles.set(p.name, { profile: p, field: `profiles.${i}` }));
  // A profile is probe.yaml's when declared there, or when its paths use the built-in of that
  // name: a server plan that redefines it would run two profiles under one name here.
  const locallyUsed = new Set([...ctx.local.profiles.map((p) => p.name), ...ctx.local.paths.flatMap((p) => p.profiles)]);
  const profiles = new Map<string, Def<ProfileConfig>>();
  for (const [profileName, { profile, field }] of serverProfiles) {
    const local = locallyUsed.has(profileName) ? localProfiles.get(profileName) : undefined;
    profiles.set(profileName, local && canonicalJson(local) !== canonicalJson(profile) ? differs('profile', profileName, field) : { value: profile, problem: null });
  }

  const canaries: PlannedCanary[] = [];
  const keys = new Set<string>();
  const paths: PathOutcome[] = [];
  (ctx.experimentsOnly ? [] : doc.paths).forEach((path, i) => {
    const pick = <T>(names: '*' | string[], from: Map<string, Def<T>>, field: string) =>
      (names === '*' ? [...from.keys()] : names).map((n, j) => ({ name: n, def: from.get(n) ?? missing(field, n, `paths.${i}.${field}.${j}`) }));
    for (const t of pick(path.targets, targets, 'targets'))
      for (const x of pick(path.proxies, proxies, 'proxies'))
        for (const pr of pick(path.profiles.slice(), profiles, 'profiles')) {
          const outcome: PathOutcome = { source: 'server', id: path.id, target: t.name, proxy: x.name, profile: pr.name, canaries: 0, units: [], state: 'running' };
          const problem = t.def.problem ?? x.def.problem ?? pr.def.problem;
          if (problem) {
            paths.push({ ...outcome, state: 'unconfigured', reason: problem.reason.slice(0, 512), field: problem.field.slice(0, 256) });
            continue;
          }
          const defs = { targets: new Map([[t.name, t.def.value!]]), proxies: new Map([[x.name, x.def.value!]]), profiles: new Map([[pr.name, pr.def.value!]]) };
          const expanded = expandPaths(defs, [{ targets: [t.name], proxies: [x.name], profiles: [pr.name], canaries: path.canaries, id: path.id }], 'server');
          const units = new Set<string>();
          for (const c of expanded.canaries) {
            units.add(unitKey(c));
            // Two server paths selecting the same slot hold it once.
            if (keys.has(c.key)) continue;
            keys.add(c.key);
            canaries.push(c);
          }
          paths.push({ ...outcome, canaries: expanded.canaries.length, units: [...units] });
        }
  });
  // Experiments run only where the canaries above and probe.yaml's already go.
  const experiments = resolveExperiments(doc.experiments, [...(ctx.localCanaries ?? []), ...canaries]);
  return { ok: true, canaries: [...canaries, ...experiments.canaries], paths: [...paths, ...experiments.outcomes] };
}

function differs(what: string, name: string, field: string): Def<never> {
  return { value: null, problem: { reason: `${what} "${name}" is defined differently in probe.yaml`, field } };
}

function missing(what: string, name: string, field: string): Def<never> {
  const singular = what === 'proxies' ? 'proxy' : what.slice(0, -1);
  return { value: null, problem: { reason: `the plan defines no ${singular} named "${name}"`, field } };
}

/**
 * A proxy URL with its placeholders filled: only allowed variables, each set on this probe,
 * inserted percent-encoded (they stand for a user name or password).
 */
function resolveProxy(p: { name: string; url: string }, field: string, ctx: ResolveContext, local: { name: string; url: string } | undefined): Def<ProxyConfig> {
  let problem = null as string | null;
  const url = p.url.replace(PLACEHOLDER, (_whole, varName: string) => {
    if (problem) return '';
    if (!ctx.allowEnv.has(varName) && !varName.startsWith(PROXY_ENV_PREFIX)) {
      problem = `${varName} is not allowed for server plans: list it under plan.env in probe.yaml (or name it ${PROXY_ENV_PREFIX}…)`;
      return '';
    }
    const value = ctx.env[varName];
    if (value === undefined) {
      problem = `environment variable ${varName} is not set on this probe`;
      return '';
    }
    return encodeURIComponent(value);
  });
  if (problem) return { value: null, problem: { reason: problem, field } };
  if (!proxyUrl.safeParse(url).success) return { value: null, problem: { reason: 'the proxy URL, with its variables set, is not a valid proxy URL', field } };
  let config: ProxyConfig;
  try {
    config = toProxyConfig({ name: p.name, url });
  } catch (err) {
    return { value: null, problem: { reason: (err as Error).message, field } };
  }
  if (local && hrefOf(toProxyConfig(local)) !== hrefOf(config)) return differs('proxy', p.name, field);
  return { value: config, problem: null };
}

const hrefOf = (p: ProxyConfig) => p.url?.href ?? 'direct';
