/**
 * The lab's recorder for the attribution scorecard: a lab file that ran real daemons writes
 * each scenario's SessionSamples, with what the analysis must conclude, to
 * bench/attribution/lab/<name>.json, so the scorecard can replay real drops without the
 * daemons. Only when RECORD_ATTRIBUTION=1:
 *
 *   RECORD_ATTRIBUTION=1 npx vitest run --config vitest.lab.config.mts test/lab/several-layers.test.ts
 *
 * The expectation is written from the daemons' configuration (the configured timeout plus
 * the daemon's known lateness, proxies.ts `configuredCutMs`), never from the analysis'
 * answer. A run where a daemon did not cut where its configuration says (a loaded machine
 * shifting squid's one-second clock) is not written: its expectation would be false.
 */
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { ExpectedSignature, Scenario } from '../../bench/attribution/scenario';
import type { SessionSample } from '../../lib/analysis/analyze';

export const RECORDING = process.env.RECORD_ATTRIBUTION === '1';

export const RECORDINGS_DIR = fileURLToPath(new URL('../../bench/attribution/lab/', import.meta.url));

/** How far from the daemon's real cut the analysis' N may land, ms (the lab suite's bound). */
export const N_TOLERANCE_MS = 250;

/** A scenario of the scorecard (bench/attribution/scenario.ts), recorded from real daemons: "lab" first in its classes. */
export type Recording = Scenario;

/** The expected N for a daemon's real cut (proxies.ts `configuredCutMs`). */
export function nAround(cutMs: number): [number, number] {
  return [cutMs - N_TOLERANCE_MS, cutMs + N_TOLERANCE_MS];
}

/**
 * What in the samples contradicts the expectation, as sentences (empty: consistent): every
 * drop must belong to one expected signature's place and lie in its N range (by age), and
 * every expected signature must have drops. This checks the daemons, not the analysis.
 */
export function labProblems(r: Recording): string[] {
  const problems: string[] = [];
  const placeOf = (s: SessionSample, e: ExpectedSignature) =>
    e.place.scope === 'proxy' ? s.proxy === e.place.value : e.place.scope === 'target' ? s.target === e.place.value : false;
  const drops = r.sessions.filter((s) => s.dropped);
  for (const d of drops) {
    const e = r.expect.signatures.find((x) => placeOf(d, x));
    if (!e) problems.push(`a drop on ${d.target} via ${d.proxy} (${d.profile}) at ${d.ageMs} ms belongs to no expected signature`);
    else if (d.ageMs === null || d.ageMs < e.nMs[0] || d.ageMs > e.nMs[1]) problems.push(`a drop on ${d.target} via ${d.proxy} at ${d.ageMs} ms is outside the expected [${e.nMs[0]}, ${e.nMs[1]}] ms`);
  }
  for (const e of r.expect.signatures) {
    if (!drops.some((d) => placeOf(d, e))) problems.push(`no drop at ${e.place.scope} ${e.place.value}`);
  }
  return problems;
}

/**
 * Write the recording when RECORD_ATTRIBUTION=1 and the lab behaved as configured; returns
 * the file written, or null (not recording, or the lab's problems, printed).
 */
export async function record(r: Recording): Promise<string | null> {
  if (!RECORDING) return null;
  if (!/^[a-z0-9][a-z0-9-]*$/.test(r.name)) throw new TypeError(`record: name must be kebab-case, got "${r.name}"`);
  if (r.classes[0] !== 'lab') throw new TypeError(`record: classes must start with "lab", got ${JSON.stringify(r.classes)}`);
  const problems = labProblems(r);
  if (problems.length > 0) {
    console.warn(`RECORD | ${r.name}: not written, the lab did not cut as configured:\n  ${problems.join('\n  ')}`);
    return null;
  }
  await mkdir(RECORDINGS_DIR, { recursive: true });
  const file = join(RECORDINGS_DIR, `${r.name}.json`);
  await writeFile(file, format(r));
  console.log(`RECORD | ${r.name}: ${r.sessions.length} sessions${r.refusals ? `, ${r.refusals.length} refusal groups` : ''} -> ${file}`);
  return file;
}

/** Pretty at the top two levels, one line per session, group or expected signature: small, and readable in a diff. */
function format(r: Recording): string {
  const fmt = (v: unknown, indent: string, depth: number): string => {
    if (Array.isArray(v) && v.length > 0 && v.every((x) => typeof x === 'object' && x !== null)) return `[\n${v.map((x) => `${indent}  ${JSON.stringify(x)}`).join(',\n')}\n${indent}]`;
    if (typeof v === 'object' && v !== null && !Array.isArray(v) && depth < 2) {
      const entries = Object.entries(v).filter(([, x]) => x !== undefined);
      return `{\n${entries.map(([k, x]) => `${indent}  ${JSON.stringify(k)}: ${fmt(x, `${indent}  `, depth + 1)}`).join(',\n')}\n${indent}}`;
    }
    return JSON.stringify(v);
  };
  return `${fmt(r, '', 0)}\n`;
}
