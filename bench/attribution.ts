/**
 * `npm run bench:attribution`: the attribution scorecard. Runs the corpus of labelled
 * scenarios (bench/attribution/synthetic/*, plus the lab's recordings in
 * bench/attribution/lab/*.json) through the real analysis and prints, per scenario, what
 * was expected against what was found, then the totals as its last line:
 *
 *   attribution: R/T scenarios fully right; N n/n, kind k/k, place p/p, software s/s, diagnosis d/D, phantoms F
 *
 * (`diagnosis d/D`: the experiments' conclusions expected by scenarios (issue 18), said only when some are.)
 *
 * A scorecard, not a gate: it exits 0 whatever the score (test/bench/attribution.test.ts
 * is where the corpus is asserted). bench/README.md says how to read it.
 */
import { runScorecard } from './attribution/scorecard';

const { lines } = runScorecard();
process.stdout.write(`${lines.join('\n')}\n`);
