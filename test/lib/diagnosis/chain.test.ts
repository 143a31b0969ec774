/** chainPositionOf: which layer of a declared chain of entry points cuts. */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { chainPositionOf } from '../../../lib/diagnosis/chain';
import type { Chain } from '../../../lib/diagnosis/types';
import { exposure, FRA, NYC, signature } from './fixtures';

fc.configureGlobal({ seed: Number(process.env.FC_SEED ?? 20261207) });

const CHAIN: Chain = { name: 'shop', hops: ['cdn', 'lb', 'app'] };
type State = 'cut' | 'clean' | 'unseen';

/** Idle canaries from two probes on each hop: cut at N, outliving it, or none there. */
function hop(target: string, state: State, o: { profile?: 'idle' | 'heartbeat' } = {}) {
  if (state === 'unseen') return [];
  const profileKind = o.profile ?? 'idle';
  return [FRA, NYC].map((probe) => exposure({ probe, target, profile: profileKind, profileKind, ...(state === 'cut' ? { hits: 6, reached: 6, drops: 6 } : { reached: 5, outlived: 5 }) }));
}
const sigOver = (states: State[], hops = CHAIN.hops, kind: 'idle' | 'lifetime' = 'idle') => signature(100, hops.flatMap((t, i) => hop(t, states[i]!)), { kind });

describe('chainPositionOf', () => {
  it.each<[string, State[], string | null, string | null, string]>([
    ['the CDN cuts', ['cut', 'clean', 'clean'], 'cdn', 'lb', "the 100.0 s cut happens between cdn and lb: cdn's timeout"],
    ['the load balancer cuts (the CDN in front shows it too)', ['cut', 'cut', 'clean'], 'lb', 'app', "the 100.0 s cut happens between lb and app: lb's timeout"],
    ['every hop shows it', ['cut', 'cut', 'cut'], 'app', null, "the 100.0 s cut happens at app itself (its own timeout, or the app's)"],
    ['the middle hop has no canary', ['cut', 'unseen', 'clean'], null, null, 'the 100.0 s cut happens between cdn and app; no canary on lb reached N: run one there to tell which layer\'s timeout it is'],
    ['the inner hops have no canary', ['cut', 'unseen', 'unseen'], null, null, "the 100.0 s cut happens at cdn or further in; no canary on lb, app reached N: run one there to tell which layer's timeout it is"],
  ])('%s', (_label, states, cutAt, nextInward, summary) => {
    const p = chainPositionOf(sigOver(states), [CHAIN])!;
    expect(p.hops.map((h) => h.state)).toEqual(states);
    expect(p).toMatchObject({ chain: 'shop', cutAt, nextInward, summary });
  });

  it('says nothing when no hop shows the cut, or the signature is not on the chain', () => {
    expect(chainPositionOf(sigOver(['clean', 'clean', 'unseen']), [CHAIN])).toBeNull();
    expect(chainPositionOf(signature(100, hop('other', 'cut')), [CHAIN])).toBeNull();
    expect(chainPositionOf(sigOver(['cut', 'clean', 'clean']), [])).toBeNull();
  });

  it('asks more than one cut canary, and a clean hop of more than stragglers', () => {
    const one = signature(100, [exposure({ target: 'cdn', hits: 1, reached: 1 }), ...hop('lb', 'clean'), ...hop('app', 'clean')]);
    expect(chainPositionOf(one, [CHAIN])).toBeNull();
    const straggled = signature(100, [...hop('cdn', 'cut'), exposure({ target: 'lb', hits: 2, reached: 10, outlived: 8 }), ...hop('app', 'clean')]);
    expect(chainPositionOf(straggled, [CHAIN])!.hops.map((h) => h.state)).toEqual(['cut', 'unseen', 'clean']);
  });

  it('does not take heartbeats outliving an idle cut for a clean hop; for a lifetime limit they are', () => {
    const paths = [...hop('cdn', 'cut'), ...hop('lb', 'clean', { profile: 'heartbeat' }), ...hop('app', 'clean', { profile: 'heartbeat' })];
    expect(chainPositionOf(signature(100, paths), [CHAIN])!.hops.map((h) => h.state)).toEqual(['cut', 'unseen', 'unseen']);
    expect(chainPositionOf(signature(100, paths, { kind: 'lifetime' }), [CHAIN])).toMatchObject({ cutAt: 'cdn', nextInward: 'lb' });
  });

  it('prefers the chain that names the cutting layer', () => {
    const sig = sigOver(['cut', 'clean', 'clean']);
    const vague: Chain = { name: 'a-vague', hops: ['cdn', 'elsewhere'] };
    expect(chainPositionOf(sig, [vague, CHAIN])!.chain).toBe('shop');
  });

  it('for any chain of 2-10 hops where one layer cuts (its entry point and every one outward show it, every one inward is clean), names that layer', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 2, max: 10 }).chain((n) => fc.tuple(fc.constant(n), fc.integer({ min: 0, max: n - 1 }))),
        fc.boolean(),
        ([n, c], lifetime) => {
          const hops = Array.from({ length: n }, (_, i) => `hop-${i}`);
          const states: State[] = hops.map((_h, i) => (i <= c ? 'cut' : 'clean'));
          const p = chainPositionOf(sigOver(states, hops, lifetime ? 'lifetime' : 'idle'), [{ name: 'c', hops }])!;
          expect(p.cutAt).toBe(hops[c]);
          expect(p.nextInward).toBe(hops[c + 1] ?? null);
          expect(p.summary).toContain(hops[c]!);
        },
      ),
    );
  });

  it('for any hop states, a named cut is at a hop that shows it whose next hop inward is clean (or the innermost), with none such further out', () => {
    fc.assert(
      fc.property(fc.array(fc.constantFrom<State>('cut', 'clean', 'unseen'), { minLength: 2, maxLength: 10 }), (states) => {
        const hops = states.map((_s, i) => `hop-${i}`);
        const p = chainPositionOf(sigOver(states, hops), [{ name: 'c', hops }]);
        if (!states.includes('cut')) {
          expect(p).toBeNull();
          return;
        }
        if (p!.cutAt === null) return;
        const i = hops.indexOf(p!.cutAt);
        expect(states[i]).toBe('cut');
        expect(i === hops.length - 1 || states[i + 1] === 'clean').toBe(true);
        for (let k = 0; k < i; k++) expect(states[k] === 'cut' && states[k + 1] === 'clean').toBe(false);
      }),
    );
  });
});
