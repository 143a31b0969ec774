/**
 * `dropscope` administration CLI.
 *
 *   dropscope probe add <name> [--label key=value ...]   prints the token once
 *   dropscope probe add <name> --target                  a token for dropscope-target --name <name>
 *   dropscope probe list
 *   dropscope probe revoke <name>
 *   dropscope target pause --for 2m | resume | status  the running server's built-in canary target
 *   dropscope user ... | token ...                       people and API tokens (cli/access-commands.ts)
 *
 * Uses DATABASE_URL / DROPSCOPE_DATA_DIR (or --database-url / --data-dir) like the server.
 * When a running server holds the PGlite directory, the command goes through its admin
 * socket instead of opening a second PGlite instance (which would lose data).
 */
import { request } from 'node:http';
import path from 'node:path';
import { lockHolder } from '../db/data-dir-lock';
import { openDatabase } from '../db/open';
import { parseServerConfig } from '../lib/config/server-env';
import { ADMIN_SOCKET } from '../server/admin-socket';
import { probeCommandSchema, runProbeCommand, type ProbeCommand, type ProbeCommandResult } from '../server/probe-commands';
import { targetCommandSchema, type TargetCommand, type TargetCommandResult } from '../server/target-commands';
import { describeIssues, fieldIssues } from '../lib/http/problem';
import { runUserCommand, type UserCommandResult } from '../server/user-commands';
import { ACCESS_USAGE, AccessUsageError, formatAccessResult, parseAccessArgs } from './access-commands';

const USAGE = `usage:
  dropscope probe add <name> [--label key=value ...]
  dropscope probe add <name> --target    (a token for a standalone canary target: dropscope-target --name <name>)
  dropscope probe list
  dropscope probe revoke <name>
  dropscope target pause --for <duration>    (e.g. 2m: the running server's /canary closes every canary)
  dropscope target resume
  dropscope target status
${ACCESS_USAGE}
options: --data-dir <dir>  --database-url <url>`;

class UsageError extends Error {}

type Parsed = { noun: 'probe'; cmd: ProbeCommand; serverArgs: string[] } | { noun: 'target'; cmd: TargetCommand; serverArgs: string[] };

function parseArgs(argv: string[]): Parsed {
  const serverArgs: string[] = [];
  const positional: string[] = [];
  const labels: Record<string, string> = {};
  let pauseFor: string | undefined;
  let targetKind = false;
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    if (a === '--target') targetKind = true;
    else if (a === '--for') pauseFor = argv[++i] ?? '';
    else if (a.startsWith('--for=')) pauseFor = a.slice('--for='.length);
    else if (a === '--data-dir' || a === '--database-url') serverArgs.push(a, argv[++i] ?? '');
    else if (a.startsWith('--data-dir=') || a.startsWith('--database-url=')) serverArgs.push(a);
    else if (a === '--label' || a.startsWith('--label=')) {
      const kv = a === '--label' ? argv[++i] : a.slice('--label='.length);
      const eq = kv?.indexOf('=') ?? -1;
      if (!kv || eq < 1) throw new UsageError(`--label expects key=value, got "${kv ?? ''}"`);
      labels[kv.slice(0, eq)] = kv.slice(eq + 1);
    } else if (a === '-h' || a === '--help') throw new UsageError('');
    else if (a.startsWith('-')) throw new UsageError(`unknown option ${a}`);
    else positional.push(a);
  }
  const [noun, verb, name, ...rest] = positional;
  if (noun === 'target' && verb && name === undefined) {
    const parsed = targetCommandSchema.safeParse(verb === 'pause' ? { command: verb, for: pauseFor } : { command: verb });
    if (!parsed.success) throw new UsageError(describeIssues(fieldIssues(parsed.error)).replace(/^for:/, '--for:'));
    return { noun, cmd: parsed.data, serverArgs };
  }
  if (pauseFor !== undefined) throw new UsageError('--for goes with target pause');
  if (noun !== 'probe' || !verb || rest.length > 0) throw new UsageError(positional.length ? `unexpected arguments: ${positional.join(' ')}` : '');
  if (targetKind && verb !== 'add') throw new UsageError('--target goes with probe add');
  const raw = verb === 'add' ? { command: verb, name, labels, kind: targetKind ? 'target' : 'probe' } : verb === 'list' ? { command: verb } : { command: verb, name };
  const parsed = probeCommandSchema.safeParse(raw);
  if (!parsed.success) throw new UsageError(describeIssues(fieldIssues(parsed.error)));
  return { noun: 'probe', cmd: parsed.data, serverArgs };
}

function viaAdminSocket<R>(socketPath: string, route: '/probe-command' | '/target-command' | '/user-command', cmd: unknown): Promise<R> {
  return new Promise((resolve, reject) => {
    const req = request({ socketPath, path: route, method: 'POST', headers: { 'content-type': 'application/json' } }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => {
        const body = JSON.parse(Buffer.concat(chunks).toString('utf8')) as R & { error?: { message: string } };
        if (res.statusCode === 200) resolve(body);
        else reject(new Error(body.error?.message ?? `server answered ${res.statusCode}`));
      });
    });
    req.on('error', reject);
    req.end(JSON.stringify(cmd));
  });
}

function print(result: ProbeCommandResult): void {
  switch (result.command) {
    case 'add':
      process.stdout.write(
        result.probe.kind === 'target'
          ? `target ${result.probe.name} added (id ${result.probe.id}): it may post only its own views of sessions.\n` +
              `token (shown once; run dropscope-target --name ${result.probe.name} with DROPSCOPE_TARGET_TOKEN set to it):\n${result.token}\n`
          : `probe ${result.probe.name} added (id ${result.probe.id}).\n` + `token (shown once, store it in the probe's config):\n${result.token}\n`,
      );
      return;
    case 'revoke':
      process.stdout.write(`probe ${result.probe.name} revoked at ${new Date(result.probe.revokedAt ?? Date.now()).toISOString()}\n`);
      return;
    case 'list': {
      if (result.probes.length === 0) {
        process.stdout.write('no probes yet: dropscope probe add <name>\n');
        return;
      }
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
      for (const r of [head, ...rows]) process.stdout.write(r.map((c, i) => c.padEnd(widths[i]!)).join('  ').trimEnd() + '\n');
    }
  }
}

function printTarget(r: TargetCommandResult): void {
  process.stdout.write(
    r.pausedUntil
      ? `canary target paused until ${r.pausedUntil}: every canary on /canary is closed at once (${r.openSessions} open)\n`
      : `canary target serving (${r.openSessions} canaries open)\n`,
  );
}

/** `dropscope user ...` / `token ...`: through the running server's admin socket, or on the database. */
async function runAccess(noun: 'user' | 'token', argv: string[]): Promise<void> {
  const serverArgs: string[] = [];
  const rest: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    if (a === '--data-dir' || a === '--database-url') serverArgs.push(a, argv[++i] ?? '');
    else if (a.startsWith('--data-dir=') || a.startsWith('--database-url=')) serverArgs.push(a);
    else if (a === '-h' || a === '--help') throw new UsageError('');
    else rest.push(a);
  }
  rest.splice(rest.indexOf(noun), 1);
  const cmd = parseAccessArgs(noun, rest);
  const config = parseServerConfig(process.env, serverArgs);
  const dataDir = path.resolve(config.DROPSCOPE_DATA_DIR);
  if (!config.DATABASE_URL && lockHolder(dataDir) !== null) {
    process.stdout.write(formatAccessResult(await viaAdminSocket<UserCommandResult>(path.join(dataDir, ADMIN_SOCKET), '/user-command', cmd)));
    return;
  }
  const database = await openDatabase(
    config.DATABASE_URL ? { kind: 'postgres', url: config.DATABASE_URL, poolSize: 1 } : { kind: 'pglite', dataDir: config.DROPSCOPE_DATA_DIR },
  );
  try {
    process.stdout.write(formatAccessResult(await runUserCommand(database, cmd, new Date())));
  } finally {
    await database.close();
  }
}

async function main(): Promise<void> {
  const argv = process.argv.slice(2);
  const noun = argv.find((a, i) => !a.startsWith('-') && !['--data-dir', '--database-url'].includes(argv[i - 1] ?? ''));
  if (noun === 'user' || noun === 'token') return runAccess(noun, argv);
  const parsed = parseArgs(argv);
  const config = parseServerConfig(process.env, parsed.serverArgs);
  const dataDir = path.resolve(config.DROPSCOPE_DATA_DIR);
  const serverRunning = !config.DATABASE_URL && lockHolder(dataDir) !== null;
  if (parsed.noun === 'target') {
    // Only the server holds the target; its admin socket lives in the PGlite data directory.
    if (!serverRunning) throw new Error(`no running server holds ${dataDir}: start it (npm start) and pass the same --data-dir`);
    printTarget(await viaAdminSocket<TargetCommandResult>(path.join(dataDir, ADMIN_SOCKET), '/target-command', parsed.cmd));
    return;
  }
  const cmd = parsed.cmd;
  if (serverRunning) {
    print(await viaAdminSocket<ProbeCommandResult>(path.join(dataDir, ADMIN_SOCKET), '/probe-command', cmd));
    return;
  }
  const database = await openDatabase(
    config.DATABASE_URL ? { kind: 'postgres', url: config.DATABASE_URL, poolSize: 1 } : { kind: 'pglite', dataDir: config.DROPSCOPE_DATA_DIR },
  );
  try {
    print(await runProbeCommand(database, cmd, new Date()));
  } finally {
    await database.close();
  }
}

main().catch((err: unknown) => {
  if (err instanceof UsageError || err instanceof AccessUsageError) {
    process.stderr.write(`${err.message ? `dropscope: ${err.message}\n` : ''}${USAGE}\n`);
    process.exit(2);
  }
  process.stderr.write(`dropscope: ${(err as Error).message}\n`);
  process.exit(1);
});
