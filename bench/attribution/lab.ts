/**
 * Recordings of real daemons' sessions (test/lab/record.ts writes them): every
 * bench/attribution/lab/*.json is a scenario in the Scenario shape, serialised. Read with
 * zod: a file that does not parse is reported by name and field, as a scenario that could
 * not be scored, and the others are still read.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { z } from 'zod';
import { userLayersSchema } from '../../lib/analysis/catalogue';
import { findingKinds } from '../../lib/analysis/findings';
import { echoStatsSchema, endKinds, profileKinds, proxyKinds } from '../../lib/contracts/ingest';
import type { Scenario } from './scenario';

export const LAB_DIR = fileURLToPath(new URL('./lab/', import.meta.url));

const scopes = ['proxy', 'target', 'probe', 'label', 'profile', 'everywhere', 'single-path'] as const;

// Loose objects: fields the analysis gains later pass through untouched.
const sessionSchema = z.looseObject({
  id: z.string(),
  probe: z.string(),
  labels: z.record(z.string(), z.string()),
  target: z.string(),
  proxy: z.string(),
  proxyKind: z.enum(proxyKinds),
  profile: z.string(),
  profileKind: z.enum(profileKinds).nullable(),
  gapMs: z.number().nullable(),
  ageMs: z.number().nullable(),
  idleMs: z.number().nullable(),
  endKind: z.enum(endKinds),
  closeCode: z.number().int().nullable(),
  endedAt: z.number(),
  headers: z.record(z.string(), z.string()),
  egress: z.string().nullable(),
  targetView: z.object({ closeFrameReceived: z.boolean(), endKind: z.string(), endedAt: z.number() }).nullable(),
  dropped: z.boolean(),
});

const refusalSchema = z.looseObject({
  target: z.string(),
  proxy: z.string(),
  outcome: z.enum(['upgrade_refused', 'proxy_refused', 'dial_failed']),
  reason: z.string(),
  server: z.string().nullable(),
  count: z.number().int(),
  attempts: z.number().int(),
  directCount: z.number().int(),
  headers: z.record(z.string(), z.string()).optional(),
  errorCode: z.string().nullable().optional(),
  bodyExcerpt: z.string().nullable().optional(),
});

const silentSchema = z.looseObject({
  probe: z.string(),
  target: z.string(),
  proxy: z.string(),
  count: z.number().int(),
  medianQuietMs: z.number(),
  neverAnswered: z.number().int().optional(),
});

const experimentSchema = z.looseObject({
  probe: z.string(),
  labels: z.record(z.string(), z.string()),
  target: z.string(),
  proxy: z.string(),
  profile: z.string(),
  profileKind: z.enum(profileKinds).nullable(),
  gapMs: z.number().nullable(),
  keepaliveMs: z.number().nullable(),
  intervalMs: z.number().nullable(),
  holdMs: z.number().nullable(),
  attemptedAt: z.number(),
  endedAt: z.number().nullable(),
  durationMs: z.number().nullable(),
  endKind: z.enum(endKinds).nullable(),
  closeCode: z.number().int().nullable(),
  closeReason: z.string().nullable(),
  echo: echoStatsSchema.nullable(),
});

const experimentPathSchema = z.object({ probe: z.string(), target: z.string(), proxy: z.string() });
const msRange = z.tuple([z.number(), z.number()]);

const expectedDiagnosisSchema = z.object({
  brackets: z.array(z.object({ path: experimentPathSchema, nMs: msRange, restarted: z.boolean().optional() })).optional(),
  transports: z.array(z.object({ path: experimentPathSchema, layer: z.enum(['l4', 'l7']) })).optional(),
  verifications: z.array(z.object({ nMs: msRange, status: z.enum(['verified', 'refuted', 'running']) })).optional(),
  chains: z.array(z.object({ nMs: msRange, cutAt: z.string().nullable() })).optional(),
  echo: z
    .array(z.object({ path: experimentPathSchema, kind: z.enum(['buffering', 'frame-lost', 'frame-cut', 'frame-refused']), bytes: z.number().int().optional(), heldMs: msRange.optional() }))
    .optional(),
});

export const labFileSchema = z.object({
  name: z.string().min(1),
  classes: z.array(z.string()),
  sessions: z.array(sessionSchema),
  layers: userLayersSchema.optional(),
  refusals: z.array(refusalSchema).optional(),
  silent: z.array(silentSchema).optional(),
  experiments: z.array(experimentSchema).optional(),
  chains: z.array(z.object({ name: z.string(), hops: z.array(z.string()).min(2) })).optional(),
  expect: z.object({
    signatures: z.array(
      z.object({
        nMs: z.tuple([z.number(), z.number()]),
        kind: z.enum(['idle', 'lifetime', 'undetermined']),
        place: z.object({ scope: z.enum(scopes), value: z.string().nullable() }),
        software: z.string().nullable(),
        endedBy: z.enum(['layer', 'endpoint']).optional(),
      }),
    ),
    findings: z.array(z.object({ kind: z.enum(findingKinds), cause: z.string() })).optional(),
    diagnosis: expectedDiagnosisSchema.optional(),
  }),
  why: z.string().optional(),
});

export interface UnreadableLabFile {
  name: string;
  file: string;
  error: string;
}

/** Every lab recording in `dir` (none when it does not exist), sorted by file name. */
export function labScenarios(dir = LAB_DIR): (Scenario | UnreadableLabFile)[] {
  let files: string[];
  try {
    files = readdirSync(dir).filter((f) => f.endsWith('.json')).sort();
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw err;
  }
  return files.map((f) => {
    const file = join(dir, f);
    const name = `lab/${f.replace(/\.json$/, '')}`;
    let raw: unknown;
    try {
      raw = JSON.parse(readFileSync(file, 'utf8'));
    } catch (err) {
      return { name, file, error: `not JSON: ${(err as Error).message}` };
    }
    const parsed = labFileSchema.safeParse(raw);
    if (!parsed.success) {
      const issue = parsed.error.issues[0]!;
      return { name, file, error: `${issue.path.join('.') || '(root)'}: ${issue.message}` };
    }
    const s = parsed.data;
    const classes = s.classes.includes('lab') ? s.classes : ['lab', ...s.classes];
    return { ...s, name: s.name.startsWith('lab/') ? s.name : `lab/${s.name}`, classes } satisfies Scenario;
  });
}
