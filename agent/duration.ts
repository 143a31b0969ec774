/**
 * Durations in the probe's YAML: a number of seconds, or a string with a unit ("250ms", "15s",
 * "5m", "2h"). The parser lives in lib/contracts/duration.ts because server plans carry
 * durations too, read by the same rules.
 */
export { durationMs, formatPlanDuration, parseDurationMs } from '../lib/contracts/duration';
