/** Short figures for the paths pages (deterministic: the server and the browser agree). */
import { formatDurationPrecise } from '../../lib/overview/format';

export const orDash = (x: number | null | undefined, f: (n: number) => string) => (x === null || x === undefined ? '—' : f(x));
export const ms = (x: number | null | undefined) => orDash(x, (n) => (n < 10 ? `${n.toFixed(2)} ms` : n < 1000 ? `${n.toFixed(1)} ms` : formatDurationPrecise(n)));
export const lifetime = (x: number | null | undefined) => orDash(x, formatDurationPrecise);
/** A median lifetime read from the aggregates' log bins (within 1 %, PathsMatrix.medianLifetimeRelativeError): marked as approximate. */
export const approxLifetime = (x: number | null | undefined) => orDash(x, (n) => `≈${formatDurationPrecise(n)}`);
/** Drops per hour of data; "—" without data time (PathCell.dropsPerHour null). */
export const rate = (perHour: number | null) =>
  orDash(perHour, (n) => (n === 0 ? '0/h' : n < 0.1 ? `${n.toFixed(3)}/h` : n < 10 ? `${n.toFixed(2)}/h` : `${Math.round(n)}/h`));
