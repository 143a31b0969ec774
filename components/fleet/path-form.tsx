'use client';
/**
 * Create or edit a server path: one target × one proxy × one profile, held by `canaries`
 * sockets on every probe the selector picks. The selector is previewed against the probes
 * registered now, with the rule the server applies (lib/plans/selector.ts).
 */
import { matchesSelector, parseSelector, selectorProblem } from '../../lib/plans/selector';
import { CheckField, FormShell, SelectField, TextField, numberOr, useDraftForm, type Draft } from './fields';
import css from './fleet.module.css';
import type { FleetPlanView, FleetProbe, PlanPathView } from './types';

const SHOWN = 8;

function draftOf(p: PlanPathView | undefined, plan: FleetPlanView): Draft {
  return {
    target: p?.target ?? plan.targets[0]?.name ?? '',
    proxy: p?.proxy ?? plan.builtins.proxies[0] ?? 'direct',
    profile: p?.profile ?? plan.builtins.profiles[0] ?? 'idle',
    canaries: String(p?.canaries ?? 1),
    probes: p?.probes ?? '*',
    enabled: String(p?.enabled ?? true),
  };
}

export const pathBody = (d: Draft) => ({ target: d.target, proxy: d.proxy, profile: d.profile, canaries: numberOr(d.canaries ?? ''), probes: (d.probes ?? '').trim(), enabled: d.enabled === 'true' });

/** Which of `probes` the selector text picks, or why it is not a selector. */
export function selectorPreview(text: string, probes: readonly FleetProbe[]): { problem: string } | { names: string[] } {
  const problem = selectorProblem(text.trim());
  if (problem) return { problem };
  const sel = parseSelector(text.trim());
  return { names: probes.filter((p) => matchesSelector(sel, p)).map((p) => p.name) };
}

const options = (names: readonly string[]) => [...new Set(names)].map((n) => ({ value: n, label: n }));

export function PathForm({ path, plan, probes, onDone }: { path?: PlanPathView; plan: FleetPlanView; probes: readonly FleetProbe[]; onDone: () => void }) {
  const { form, submit, busy, message } = useDraftForm(
    () => draftOf(path, plan),
    (d) => ({ url: path ? `/api/v1/plan/paths/${path.id}` : '/api/v1/plan/paths', method: path ? 'PUT' : 'POST', body: pathBody(d) }),
    onDone,
  );
  const preview = selectorPreview(form.draft.probes ?? '', probes);
  const targets = plan.targets.map((t) => t.name);
  // A path may name the target it had even if the list no longer shows it; the API judges.
  if (path && !targets.includes(path.target)) targets.unshift(path.target);
  return (
    <FormShell label={path ? `Edit path ${path.id}` : 'New path'} testId="path-form" message={message} busy={busy} submitLabel={path ? 'Save path' : 'Create path'} onSubmit={submit} onCancel={onDone}>
      {targets.length === 0 ? (
        <p className={`${css.note} ${css.wide}`}>No target yet: add one under Targets first.</p>
      ) : (
        <SelectField form={form} name="target" label="target" options={options(targets)} />
      )}
      <SelectField form={form} name="proxy" label="through proxy" options={options([...plan.builtins.proxies, ...plan.proxies.map((p) => p.name)])} />
      <SelectField form={form} name="profile" label="profile" options={options([...plan.builtins.profiles, ...plan.profiles.map((p) => p.name)])} />
      <TextField form={form} name="canaries" label="canaries per probe" hint="1" />
      <TextField form={form} name="probes" label="on probes" hint="*, region=eu or a probe name" note={'"*" for every probe, key=value for probes with that label, or one probe\'s name.'} />
      <p className={`${css.preview} ${css.wide}`} data-testid="selector-preview" data-matches={'names' in preview ? preview.names.length : ''} aria-live="polite">
        {'problem' in preview ? (
          <span className={css.error}>{preview.problem}</span>
        ) : preview.names.length === 0 ? (
          'matches no probe registered now (a probe registered later with a matching label or name will pick it up)'
        ) : (
          <>
            matches <strong>{preview.names.length}</strong> probe{preview.names.length === 1 ? '' : 's'}: {preview.names.slice(0, SHOWN).join(', ')}
            {preview.names.length > SHOWN && ` and ${preview.names.length - SHOWN} more`}
          </>
        )}
      </p>
      <CheckField form={form} name="enabled" label="enabled" />
    </FormShell>
  );
}
