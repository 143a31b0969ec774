/**
 * Which probes a server path runs on: `*` (all), `key=value` (probes with that label) or a
 * probe's name. Unambiguous because a probe name cannot hold `=` (server/probe-commands.ts),
 * whose name and label rules are repeated here: lib/ stays free of server code.
 */

export type Selector = { kind: 'all' } | { kind: 'label'; key: string; value: string } | { kind: 'probe'; name: string };

const PROBE_NAME = /^[a-z0-9][a-z0-9._-]{0,63}$/i;
const LABEL_KEY = /^[a-z_][a-z0-9_]{0,63}$/i;
const MAX_LABEL_VALUE = 128;

/** Why `text` is not a selector, or null when it is one. */
export function selectorProblem(text: string): string | null {
  if (text === '*') return null;
  const eq = text.indexOf('=');
  if (eq < 0) return PROBE_NAME.test(text) ? null : 'expected "*", a label as key=value (region=eu) or a probe name';
  if (!LABEL_KEY.test(text.slice(0, eq))) return 'expected a label name before "=", like region or isp_name';
  if (text.length - eq - 1 > MAX_LABEL_VALUE) return `expected a label value of at most ${MAX_LABEL_VALUE} characters`;
  return null;
}

/** Parse a selector; throws a RangeError for text that is not one (check it with selectorProblem first). */
export function parseSelector(text: string): Selector {
  const problem = selectorProblem(text);
  if (problem) throw new RangeError(`selector "${text.slice(0, 80)}": ${problem}`);
  if (text === '*') return { kind: 'all' };
  const eq = text.indexOf('=');
  if (eq < 0) return { kind: 'probe', name: text };
  return { kind: 'label', key: text.slice(0, eq), value: text.slice(eq + 1) };
}

/** Whether `probe` is one the selector picks. Probe names compare exactly, as the database stores them. */
export function matchesSelector(selector: Selector, probe: { name: string; labels: Readonly<Record<string, string>> }): boolean {
  switch (selector.kind) {
    case 'all':
      return true;
    case 'probe':
      return probe.name === selector.name;
    case 'label':
      return Object.hasOwn(probe.labels, selector.key) && probe.labels[selector.key] === selector.value;
  }
}

/** The selector as it is written: the inverse of parseSelector. */
export function formatSelector(selector: Selector): string {
  switch (selector.kind) {
    case 'all':
      return '*';
    case 'probe':
      return selector.name;
    case 'label':
      return `${selector.key}=${selector.value}`;
  }
}
