/**
 * `dropscope` administration CLI.
 *
 *   dropscope probe add <name> [--label key=value ...]   prints the token once
 *   dropscope probe add <name> --target                  a token for dropscope-target --name <name>
 *   dropscope probe list
 *   dropscope probe revoke <name>
 *   dropscope target pause --for 2m | resume | status  the running server's built-in canary target
 *   dropscope user ... | token ...                       people and API tokens (cli/access-commands.ts)
 *   dropscope silence --for 2m --scope target=builtin    mute alerts for a while (cli/silence-commands.ts)
 *
 * Uses DATABASE_URL / DROPSCOPE_DATA_DIR (or --database-url / --data-dir) like the server.
 * When a running server holds the PGlite directory, the command goes through its admin
 * socket instead of opening a second PGlite instance (which would lose data).
 *
 * Fast to start (issue 19: 6.5 s per command through tsx): `npm run dropscope` runs the
 * bundle (scripts/dropscope.mjs), and each noun imports its own modules when it runs, so
 * `--help` and a command sent through the admin socket never load PGlite, drizzle's
 * migrators or postgres.js (cli/admin-client.ts opens the database only when it must).
 * test/cli/dropscope.test.ts checks which packages a command loads.
 */
import { describeIssues, fieldIssues } from '../lib/http/problem';
import { ACCESS_USAGE, AccessUsageError, formatAccessResult, parseAccessArgs } from './access-commands';
import { locate, runCommand, splitServerArgs } from './admin-client';
import { formatSilenceResult, parseSilenceArgs, SILENCE_USAGE, SilenceUsageError } from './silence-commands';
import type { ProbeCommand, ProbeCommandResult } from '../server/probe-commands';
import type { TargetCommand, TargetCommandResult } from '../server/target-commands';
import type { SilenceCommandResult } from '../server/silence-commands';
import type { UserCommandResult } from '../server/user-commands';

const USAGE = `usage:
  dropscope probe add <name> [--label key=value ...]
  dropscope probe add <name> --target    (a token for a standalone canary target: dropscope-target --name <name>)
  dropscope probe list
  dropscope probe revoke <name>
  dropscope target pause --for <duration>    (e.g. 2m: the running server's /canary closes every canary)
  dropscope target resume
  dropscope target status
${ACCESS_USAGE}
${SILENCE_USAGE}
options: --data-dir <dir>  --database-url <url>`;

class UsageError extends Error {}

/**
 * One noun of the CLI: `run` gets the arguments after the noun and the server arguments
 * taken out (--data-dir, --database-url), and returns what to print. Add a noun here
 * (e.g. `silence`, with its parser and formatter in cli/<noun>-commands.ts and its admin
 * socket route in server/admin-socket.ts), importing its modules inside `run`.
 */
type Noun = (argv: string[], serverArgs: string[]) => Promise<string>;

const NOUNS: Record<string, Noun> = {
  probe: async (argv, serverArgs) => {
    const { probeCommandSchema, runProbeCommand } = await import('../server/probe-commands');
    const cmd = parseProbeArgs(argv, probeCommandSchema);
    return formatProbeResult(await runCommand<ProbeCommandResult>(locate(serverArgs), '/probe-command', cmd, (database) => runProbeCommand(database, cmd, new Date())));
  },
  target: async (argv, serverArgs) => {
    const { targetCommandSchema } = await import('../server/target-commands');
    const cmd = parseTargetArgs(argv, targetCommandSchema);
    const where = locate(serverArgs);
    // Only the server holds the target; its admin socket lives in the PGlite data directory.
    if (!where.socketPath) throw new Error(`no running server holds ${where.dataDir}: start it (npm start) and pass the same --data-dir`);
    return formatTargetResult(await runCommand<TargetCommandResult>(where, '/target-command', cmd, () => Promise.reject(new Error('unreachable'))));
  },
  user: (argv, serverArgs) => runAccess('user', argv, serverArgs),
  token: (argv, serverArgs) => runAccess('token', argv, serverArgs),
  // Through the running server's admin socket, or on the database; the window starts when it runs.
  silence: async (argv, serverArgs) => {
    const cmd = parseSilenceArgs(argv);
    const result = await runCommand<SilenceCommandResult>(locate(serverArgs), '/silence-command', cmd, async (database) => {
      const { runSilenceCommand } = await import('../server/silence-commands');
      return runSilenceCommand(database, cmd, new Date());
    });
    return formatSilenceResult(result);
  },
};

type Schema<T> = { safeParse(v: unknown): { success: true; data: T } | { success: false; error: Parameters<typeof fieldIssues>[0] } };

function parseProbeArgs(argv: string[], schema: Schema<ProbeCommand>): ProbeCommand {
  const positional: string[] = [];
  const labels: Record<string, string> = {};
  let targetKind = false;
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    if (a === '--target') targetKind = true;
    else if (a === '--for' || a.startsWith('--for=')) throw new UsageError('--for goes with target pause');
    else if (a === '--label' || a.startsWith('--label=')) {
      const kv = a === '--label' ? argv[++i] : a.slice('--label='.length);
      const eq = kv?.indexOf('=') ?? -1;
      if (!kv || eq < 1) throw new UsageError(`--label expects key=value, got "${kv ?? ''}"`);
      labels[kv.slice(0, eq)] = kv.slice(eq + 1);
    } else if (a.startsWith('-')) throw new UsageError(`unknown option ${a}`);
    else positional.push(a);
  }
  const [verb, name, ...rest] = positional;
  if (!verb || rest.length > 0) throw new UsageError(positional.length ? `unexpected arguments: probe ${positional.join(' ')}` : '');
  if (targetKind && verb !== 'add') throw new UsageError('--target goes with probe add');
  const raw = verb === 'add' ? { command: verb, name, labels, kind: targetKind ? 'target' : 'probe' } : verb === 'list' ? { command: verb } : { command: verb, name };
  const parsed = schema.safeParse(raw);
  if (!parsed.success) throw new UsageError(describeIssues(fieldIssues(parsed.error)));
  return parsed.data;
}

function parseTargetArgs(argv: string[], schema: Schema<TargetCommand>): TargetCommand {
  const positional: string[] = [];
  let pauseFor: string | undefined;
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    if (a === '--for') pauseFor = argv[++i] ?? '';
    else if (a.startsWith('--for=')) pauseFor = a.slice('--for='.length);
    else if (a.startsWith('-')) throw new UsageError(`unknown option ${a}`);
    else positional.push(a);
  }
  const [verb, ...rest] = positional;
  if (!verb || rest.length > 0) throw new UsageError(positional.length ? `unexpected arguments: target ${positional.join(' ')}` : '');
  if (pauseFor !== undefined && verb !== 'pause') throw new UsageError('--for goes with target pause');
  const parsed = schema.safeParse(verb === 'pause' ? { command: verb, for: pauseFor } : { command: verb });
  if (!parsed.success) throw new UsageError(describeIssues(fieldIssues(parsed.error)).replace(/^for:/, '--for:'));
  return parsed.data;
}

function formatProbeResult(result: ProbeCommandResult): string {
  switch (result.command) {
    case 'add':
      return result.probe.kind === 'target'
        ? `target ${result.probe.name} added (id ${result.probe.id}): it may post only its own views of sessions.\n` +
            `token (shown once; run dropscope-target --name ${result.probe.name} with DROPSCOPE_TARGET_TOKEN set to it):\n${result.token}\n`
        : `probe ${result.probe.name} added (id ${result.probe.id}).\n` + `token (shown once, store it in the probe's config):\n${result.token}\n`;
    case 'revoke':
      return `probe ${result.probe.name} revoked at ${new Date(result.probe.revokedAt ?? Date.now()).toISOString()}\n`;
    case 'list': {
      if (result.probes.length === 0) return 'no probes yet: dropscope probe add <name>\n';
      const rows = result.probes.map((p) => [
        p.name,
        p.revokedAt ? 'revoked' : 'active',
        Object.entries(p.labels).map(([k, v]) => `${k}=${v}`).join(',') || '-',
        // Absent from a server older than target tokens (through the admin socket): a probe.
        p.kind ?? 'probe',
        p.agentVersion ?? '-',
        p.lastSeenAt ? new Date(p.lastSeenAt).toISOString() : 'never',
      ]);
      const head = ['NAME', 'STATE', 'LABELS', 'KIND', 'VERSION', 'LAST SEEN'];
      const widths = head.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
      return [head, ...rows].map((r) => r.map((c, i) => c.padEnd(widths[i]!)).join('  ').trimEnd() + '\n').join('');
    }
  }
}

function formatTargetResult(r: TargetCommandResult): string {
  return r.pausedUntil
    ? `canary target paused until ${r.pausedUntil}: every canary on /canary is closed at once (${r.openSessions} open)\n`
    : `canary target serving (${r.openSessions} canaries open)\n`;
}

/** `dropscope user ...` / `token ...`: through the running server's admin socket, or on the database. */
async function runAccess(noun: 'user' | 'token', argv: string[], serverArgs: string[]): Promise<string> {
  const cmd = await parseAccessArgs(noun, argv);
  const result = await runCommand<UserCommandResult>(locate(serverArgs), '/user-command', cmd, async (database) => {
    const { runUserCommand } = await import('../server/user-commands');
    return runUserCommand(database, cmd, new Date());
  });
  return formatAccessResult(result);
}

/** The noun and the rest: `argv` without its server arguments, the noun taken out. */
function splitNoun(argv: readonly string[]): { noun: string | undefined; rest: string[]; serverArgs: string[]; help: boolean } {
  const { serverArgs, rest } = splitServerArgs(argv);
  const help = rest.some((a) => a === '-h' || a === '--help');
  const i = rest.findIndex((a) => !a.startsWith('-'));
  return { noun: i < 0 ? undefined : rest[i], rest: i < 0 ? rest : [...rest.slice(0, i), ...rest.slice(i + 1)], serverArgs, help };
}

async function main(): Promise<void> {
  const { noun, rest, serverArgs, help } = splitNoun(process.argv.slice(2));
  if (help) throw new UsageError('');
  const run = noun ? NOUNS[noun] : undefined;
  if (!run) throw new UsageError(noun ? `unknown command ${noun}` : '');
  process.stdout.write(await run(rest, serverArgs));
}

main().catch((err: unknown) => {
  if (err instanceof UsageError || err instanceof AccessUsageError || err instanceof SilenceUsageError) {
    process.stderr.write(`${err.message ? `dropscope: ${err.message}\n` : ''}${USAGE}\n`);
    process.exit(2);
  }
  process.stderr.write(`dropscope: ${(err as Error).message}\n`);
  process.exit(1);
});
