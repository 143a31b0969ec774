/** Poisson tail probabilities, in log space so that very dense peaks do not underflow. */

// Lanczos approximation (g = 7, n = 9), accurate to ~15 digits for x > 0.
const LANCZOS = [0.99999999999980993, 676.5203681218851, -1259.1392167224028, 771.32342877765313, -176.61502916214059, 12.507343278686905, -0.13857109526572012, 9.9843695780195716e-6, 1.5056327351493116e-7];

export function logGamma(x: number): number {
  if (x < 0.5) return Math.log(Math.PI / Math.sin(Math.PI * x)) - logGamma(1 - x);
  const z = x - 1;
  let a = LANCZOS[0]!;
  const t = z + 7.5;
  for (let i = 1; i < 9; i++) a += LANCZOS[i]! / (z + i);
  return 0.5 * Math.log(2 * Math.PI) + (z + 0.5) * Math.log(t) - t + Math.log(a);
}

/** ln P(X ≥ k) for X ~ Poisson(lambda). */
export function logPoissonUpperTail(k: number, lambda: number): number {
  if (k <= 0) return 0;
  if (lambda <= 0) return Number.NEGATIVE_INFINITY;
  if (k <= lambda) return Math.log(0.5); // at or below the mean: never significant; exactness not needed
  const logTerm = (i: number) => -lambda + i * Math.log(lambda) - logGamma(i + 1);
  // Terms fall from k on (k > lambda): sum until they stop mattering, bounded.
  const first = logTerm(k);
  let sum = 1;
  for (let i = k + 1; i < k + 10_000; i++) {
    const r = Math.exp(logTerm(i) - first);
    sum += r;
    if (r < 1e-12) break;
  }
  return first + Math.log(sum);
}

/** P(X ≤ k) for X ~ Poisson(lambda): how unlikely so few. 1 when k is at or above the mean. */
export function poissonLowerTail(k: number, lambda: number): number {
  if (k >= lambda) return 1;
  let term = Math.exp(-lambda);
  let sum = term;
  for (let i = 1; i <= k; i++) {
    term *= lambda / i;
    sum += term;
  }
  return Math.min(1, sum);
}
