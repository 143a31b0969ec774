/**
 * Probe administration commands (add, list, revoke), run either by the CLI directly on
 * the database or, when a server holds the PGlite directory, by the server on the CLI's
 * behalf through the admin socket. One schema for both routes.
 */
import { z } from 'zod';
import type { Database } from '../db/client';
import { addProbe, listProbes, revokeProbe, type ProbeRecord } from '../db/queries/probes';

const probeName = z
  .string()
  .min(1)
  .max(64)
  .regex(/^[a-z0-9][a-z0-9._-]*$/i, 'expected letters, digits, ".", "_" or "-", starting with a letter or digit');
const labelKey = z.string().regex(/^[a-z_][a-z0-9_]{0,63}$/i, 'expected a label name like region or isp_name');

export const probeCommandSchema = z.discriminatedUnion('command', [
  z.strictObject({
    command: z.literal('add'),
    name: probeName,
    labels: z.record(labelKey, z.string().max(128)).refine((l) => Object.keys(l).length <= 16, 'expected at most 16 labels'),
  }),
  z.strictObject({ command: z.literal('list') }),
  z.strictObject({ command: z.literal('revoke'), name: probeName }),
]);
export type ProbeCommand = z.infer<typeof probeCommandSchema>;

export type ProbeCommandResult =
  | { command: 'add'; probe: ProbeRecord; token: string }
  | { command: 'list'; probes: ProbeRecord[] }
  | { command: 'revoke'; probe: ProbeRecord };

export async function runProbeCommand(database: Database, cmd: ProbeCommand, now: Date): Promise<ProbeCommandResult> {
  switch (cmd.command) {
    case 'add':
      return { command: 'add', ...(await addProbe(database.db, { name: cmd.name, labels: cmd.labels })) };
    case 'list':
      return { command: 'list', probes: await listProbes(database.db) };
    case 'revoke':
      return { command: 'revoke', probe: await revokeProbe(database.db, cmd.name, now) };
  }
}
