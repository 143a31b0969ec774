'use client';
/**
 * Declare or edit a chain of entry points: a name and its hops in order, outermost first
 * (the CDN's target, the load balancer's, the app's). A hop is a target name, offered from
 * the plan's targets or typed (a probe's own probe.yaml may define it). The API judges the
 * hops (2 to 10, each once) and names the one at fault.
 */
import { FormShell, TextField, useDraftForm, type Draft } from './fields';
import css from './fleet.module.css';
import type { PlanChainView } from './types';

const MAX_HOPS = 10;
/** The hops travel in the draft as one string, a line each, so that a blank new hop keeps its place. */
const SEP = '\n';
const hopsOf = (d: Draft) => (d.hops ?? '').split(SEP);

function draftOf(c: PlanChainView | undefined, targets: readonly string[]): Draft {
  return { name: c?.name ?? '', hops: (c?.hops ?? [targets[0] ?? '', targets[1] ?? '']).join(SEP) };
}

export const chainBody = (d: Draft) => ({ name: d.name, hops: hopsOf(d).map((h) => h.trim()) });

function hopLabel(i: number, count: number): string {
  return `entry point ${i + 1}${i === 0 ? ' (outermost)' : i === count - 1 ? ' (innermost)' : ''}`;
}

export function ChainForm({ chain, targets, onDone }: { chain?: PlanChainView; targets: readonly string[]; onDone: () => void }) {
  const { form, submit, busy, message } = useDraftForm(
    () => draftOf(chain, targets),
    (d) => ({ url: chain ? `/api/v1/plan/chains/${chain.id}` : '/api/v1/plan/chains', method: chain ? 'PUT' : 'POST', body: chainBody(d) }),
    onDone,
  );
  const hops = hopsOf(form.draft);
  const setHops = (next: string[]) => form.set('hops', next.join(SEP));
  const move = (i: number, by: -1 | 1) => {
    const next = [...hops];
    [next[i], next[i + by]] = [next[i + by]!, next[i]!];
    setHops(next);
  };
  const listId = `${form.uid}-targets`;
  const rowErrors = hops.map((_, i) => form.errorOf(`hops.${i}`));
  const listError = form.errorOf('hops');
  return (
    <FormShell label={chain ? `Edit chain ${chain.name}` : 'New chain'} testId="chain-form" message={message} busy={busy} submitLabel={chain ? 'Save chain' : 'Create chain'} onSubmit={submit} onCancel={onDone}>
      <TextField form={form} name="name" label="name" hint="e.g. shop" />
      <fieldset className={`${css.hops} ${css.wide}`} aria-describedby={`${form.uid}-hops-note`}>
        <legend>entry points, outermost first</legend>
        <span id={`${form.uid}-hops-note`} className={css.hint}>
          Target names, from the CDN inward: the analysis names the outermost one whose canaries see a cut that the next one inward does not.
        </span>
        <datalist id={listId}>
          {targets.map((t) => (
            <option key={t} value={t} />
          ))}
        </datalist>
        <ol className={css.hopList}>
          {hops.map((hop, i) => {
            const id = `${form.uid}-hop-${i}`;
            const label = hopLabel(i, hops.length);
            return (
              <li key={i} className={css.hop} data-testid="chain-hop">
                <label htmlFor={id} className="sr-only">
                  {label}
                </label>
                <input
                  id={id}
                  className={css.input}
                  list={listId}
                  value={hop}
                  placeholder="target name"
                  aria-invalid={rowErrors[i] ? true : undefined}
                  aria-describedby={rowErrors[i] ? `${id}-err` : undefined}
                  onChange={(e) => setHops(hops.map((h, j) => (j === i ? e.target.value : h)))}
                />
                <button type="button" className={css.button} disabled={i === 0} onClick={() => move(i, -1)} aria-label={`Move ${label} outward`}>
                  ↑
                </button>
                <button type="button" className={css.button} disabled={i === hops.length - 1} onClick={() => move(i, 1)} aria-label={`Move ${label} inward`}>
                  ↓
                </button>
                <button type="button" className={css.button} disabled={hops.length <= 1} onClick={() => setHops(hops.filter((_, j) => j !== i))} aria-label={`Remove ${label}`}>
                  Remove
                </button>
                {rowErrors[i] && (
                  <span id={`${id}-err`} className={css.error} data-testid={`error-hops.${i}`}>
                    {rowErrors[i]}
                  </span>
                )}
              </li>
            );
          })}
        </ol>
        {hops.length < MAX_HOPS && (
          <button type="button" className={css.button} onClick={() => setHops([...hops, ''])}>
            Add entry point
          </button>
        )}
        {listError && !rowErrors.includes(listError) && (
          <span className={css.error} data-testid="error-hops">
            {listError}
          </span>
        )}
      </fieldset>
    </FormShell>
  );
}
