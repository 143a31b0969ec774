/**
 * Deterministic randomness for the scenarios: the same seed gives the same sessions on
 * every machine and run, so a scorecard that changes means the analysis changed
 * (mulberry32 with a scrambled seed; the analysis' own tests draw from it too).
 */

export type Rng = () => number;

export function rng(seed: number): Rng {
  // Scramble the seed first: mulberry32 started from small integers is streaky.
  let a = Math.imul((seed ^ 0x9e3779b9) >>> 0, 0x85ebca6b) >>> 0;
  a = Math.imul(a ^ (a >>> 13), 0xc2b2ae35) >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** A standard normal deviate (Box-Muller). */
export function gauss(r: Rng): number {
  return Math.sqrt(-2 * Math.log(r() || 1e-12)) * Math.cos(2 * Math.PI * r());
}

/** A stable seed from a scenario's name, so adding a scenario does not reshuffle the others. */
export function seedOf(name: string): number {
  let h = 2166136261;
  for (let i = 0; i < name.length; i++) h = Math.imul(h ^ name.charCodeAt(i), 16777619) >>> 0;
  return h;
}
