/**
 * Probe administration commands (add, list, revoke), run either by the CLI directly on
 * the database or, when a server holds the PGlite directory, by the server on the CLI's
 * behalf through the admin socket. One schema for both routes.
 *
 * `add` registers a probe, or with kind `target` a standalone canary target's token
 * (`dropscope-target`), which may post only its own views of sessions (lib/ingest/access.ts).
 */
import { z } from 'zod';
import type { Database } from '../db/client';
import { recordAudit } from '../db/queries/audit';
import { CLI_PRINCIPAL } from '../lib/auth/roles';
import { addProbe, listProbes, PROBE_KINDS, revokeProbe, type ProbeKind, type ProbeRecord } from '../db/queries/probes';

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
    /** Absent from a CLI older than target tokens: a probe. */
    kind: z.enum(PROBE_KINDS as [ProbeKind, ...ProbeKind[]]).default('probe'),
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
      return database.db.transaction(async (tx) => {
        const made = await addProbe(tx, { name: cmd.name, labels: cmd.labels, kind: cmd.kind });
        await recordAudit(tx, CLI_PRINCIPAL, { action: 'probe.create', subjectKind: 'probe', subjectId: made.probe.id, after: made.probe }, now);
        return { command: 'add' as const, ...made };
      });
    case 'list':
      return { command: 'list', probes: await listProbes(database.db) };
    case 'revoke': {
      const probe = await revokeProbe(database.db, cmd.name, now);
      await recordAudit(database.db, CLI_PRINCIPAL, { action: 'probe.revoke', subjectKind: 'probe', subjectId: probe.id, after: probe }, now);
      return { command: 'revoke', probe };
    }
  }
}
