/** The alert life cycle: for, resolveAfter, hysteresis (hold), flapping. Pure, with a fake clock. */
import { describe, expect, it } from 'vitest';
import { step, type AlertState, type Verdict } from '../../../lib/alerts/state-machine';

/** Run verdicts at 15 s ticks; return the transitions as `at:from>to(!)`. */
function run(verdicts: Verdict[], timing = { forMs: 60_000, resolveAfterMs: 60_000 }, tickMs = 15_000) {
  let state: AlertState | null = null;
  const seen: string[] = [];
  verdicts.forEach((v, i) => {
    const r = step(state, v, timing, i * tickMs);
    state = r.state;
    if (r.transition) seen.push(`${i * tickMs / 1000}:${r.transition.from}>${r.transition.to}${r.transition.notify ? '!' : ''}`);
  });
  return { seen, state: state as AlertState | null };
}

const B: Verdict = 'breach';
const C: Verdict = 'clear';
const H: Verdict = 'hold';

describe('alert state machine', () => {
  it('fires once the breach has held for `for`, and resolves once clear for `resolveAfter`', () => {
    const { seen } = run([B, B, B, B, B, B, C, C, C, C, C, C]);
    expect(seen).toEqual(['0:inactive>pending', '60:pending>firing!', '150:firing>resolved!']);
  });

  it('fires at once with for = 0 and resolves at once with resolveAfter = 0', () => {
    expect(run([B, C], { forMs: 0, resolveAfterMs: 0 }).seen).toEqual(['0:inactive>firing!', '15:firing>resolved!']);
  });

  it('does not fire when the condition clears before `for` (flapping)', () => {
    const { seen, state } = run([B, B, C, B, B, B, C, B]);
    expect(seen).toEqual(['0:inactive>pending', '30:pending>inactive', '45:inactive>pending', '90:pending>inactive', '105:inactive>pending']);
    expect(state?.status).toBe('pending');
  });

  it('does not resolve until clear for the whole resolve duration: a breach in between restarts it', () => {
    const { seen } = run([B, C, C, C, B, C, C, C, C, C], { forMs: 0, resolveAfterMs: 45_000 });
    expect(seen).toEqual(['0:inactive>firing!', '120:firing>resolved!']);
  });

  it('a value in the hysteresis band keeps a firing alert firing and cancels a pending one', () => {
    expect(run([B, H, H, H, H, H, C, C], { forMs: 0, resolveAfterMs: 0 }).seen).toEqual(['0:inactive>firing!', '90:firing>resolved!']);
    expect(run([B, H], { forMs: 30_000, resolveAfterMs: 0 }).seen).toEqual(['0:inactive>pending', '15:pending>inactive']);
  });

  it('fires again after resolving, as a new alert', () => {
    expect(run([B, C, B], { forMs: 0, resolveAfterMs: 0 }).seen).toEqual(['0:inactive>firing!', '15:firing>resolved!', '30:resolved>firing!']);
  });
});
