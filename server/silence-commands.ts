/**
 * Silences from the server's host (`dropscope silence ...`): mute a scope for a maintenance
 * window or a `dropscope target pause`, list them, end one early. Run by the CLI on the
 * database, or through the admin socket when a server holds the PGlite directory, like the
 * user and probe commands. The window is decided here, at the moment the command runs, so
 * `--for 2m` means two minutes from now on the server. Each write is in the audit log as
 * the CLI's.
 *
 * The CLI parses with this module's schema before it knows whether it will reach a server
 * or open the database, so the database code is imported only when a command runs
 * (cli/dropscope.ts keeps `--help` and admin-socket commands light).
 */
import { z } from 'zod';
import type { Database } from '../db/client';
import { resolveSilenceSpec, silenceInputSchema, silenceListStateSchema, type SilenceListState, type SilenceView } from '../lib/alerts/silence';
import { describeIssues } from '../lib/http/problem';
import { CLI_PRINCIPAL } from '../lib/auth/roles';

export const silenceCommandSchema = z.discriminatedUnion('command', [
  z.strictObject({ command: z.literal('silence-add'), silence: silenceInputSchema }),
  z.strictObject({ command: z.literal('silence-list'), state: silenceListStateSchema }),
  z.strictObject({ command: z.literal('silence-end'), id: z.number().int().min(1).max(2_147_483_647) }),
]);
export type SilenceCommand = z.infer<typeof silenceCommandSchema>;

export type SilenceCommandResult =
  | { command: 'silence-add' | 'silence-end'; silence: SilenceView }
  | { command: 'silence-list'; state: SilenceListState; now: string; silences: SilenceView[] };

/** A window that cannot be (ends before it starts, over 30 days, ...): the caller's mistake. */
export class SilenceCommandError extends Error {
  readonly code = 'SILENCE_ERR_WINDOW';
  constructor(message: string) {
    super(message);
    this.name = 'SilenceCommandError';
  }
}

/** Throws SilenceCommandError for an implausible window, SilenceError (db/queries/silences.ts) for an unknown or ended silence. */
export async function runSilenceCommand(database: Database, cmd: SilenceCommand, now: Date): Promise<SilenceCommandResult> {
  const db = database.db;
  const { createSilence, endSilence, listSilences } = await import('../db/queries/silences');
  switch (cmd.command) {
    case 'silence-add': {
      const spec = resolveSilenceSpec(cmd.silence, now);
      if (!spec.ok) throw new SilenceCommandError(describeIssues(spec.issues));
      return { command: 'silence-add', silence: await createSilence(db, spec.spec, CLI_PRINCIPAL, now) };
    }
    case 'silence-list':
      return { command: 'silence-list', state: cmd.state, now: now.toISOString(), silences: await listSilences(db, { state: cmd.state, now }) };
    case 'silence-end':
      return { command: 'silence-end', silence: await endSilence(db, cmd.id, CLI_PRINCIPAL, now) };
  }
}
