/**
 * A Unix socket in the PGlite data directory through which the CLI runs probe, user, token and silence commands
 * while the server holds the database (PGlite allows one process per directory), and
 * commands for the built-in canary target (pause, resume), which only the running server
 * can carry out. Access is by filesystem permission: whoever can write the data directory
 * can administer it.
 */
import { chmodSync, rmSync } from 'node:fs';
import { createServer } from 'node:http';
import path from 'node:path';
import type { Database } from '../db/client';
import { describeIssues, fieldIssues } from '../lib/http/problem';
import type { Logger } from '../lib/log';
import type { CanaryTarget } from '../target/canary-target';
import { probeCommandSchema, runProbeCommand } from './probe-commands';
import { runTargetCommand, targetCommandSchema } from './target-commands';
import { runUserCommand, UserCommandError, userCommandSchema } from './user-commands';
import { runSilenceCommand, SilenceCommandError, silenceCommandSchema } from './silence-commands';
import { SilenceError } from '../db/queries/silences';
import { UserExistsError } from '../db/queries/users';

export const ADMIN_SOCKET = 'admin.sock';
const MAX_BODY = 64 * 1024;
const ROUTES = new Set(['/probe-command', '/target-command', '/user-command', '/silence-command']);

export async function startAdminSocket(dataDir: string, database: Database, log: Logger, target: CanaryTarget): Promise<{ close(): Promise<void> }> {
  const socketPath = path.join(dataDir, ADMIN_SOCKET);
  // We hold the data directory's lock, so a socket file here is a dead server's leftover.
  rmSync(socketPath, { force: true });
  const server = createServer((req, res) => {
    const reply = (status: number, body: unknown) => res.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(body));
    if (req.method !== 'POST' || !ROUTES.has(req.url ?? '')) {
      return reply(404, { error: { code: 'ADMIN_ERR_NOT_FOUND', message: 'unknown admin route' } });
    }
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (c: Buffer) => {
      size += c.length;
      if (size > MAX_BODY) req.destroy();
      else chunks.push(c);
    });
    req.on('end', () => {
      let json: unknown;
      try {
        json = JSON.parse(Buffer.concat(chunks).toString('utf8'));
      } catch {
        return reply(400, { error: { code: 'ADMIN_ERR_JSON', message: 'body is not valid JSON' } });
      }
      if (req.url === '/target-command') {
        const cmd = targetCommandSchema.safeParse(json);
        if (!cmd.success) return reply(400, { error: { code: 'ADMIN_ERR_SCHEMA', message: describeIssues(fieldIssues(cmd.error)) } });
        const result = runTargetCommand(target, cmd.data);
        log.info(result, 'canary target command');
        return reply(200, result);
      }
      if (req.url === '/user-command') {
        const cmd = userCommandSchema.safeParse(json);
        if (!cmd.success) return reply(400, { error: { code: 'ADMIN_ERR_SCHEMA', message: describeIssues(fieldIssues(cmd.error)) } });
        runUserCommand(database, cmd.data, new Date()).then(
          (result) => reply(200, result),
          (err: Error & { code?: string }) => {
            if (err instanceof UserCommandError || err instanceof UserExistsError) return reply(409, { error: { code: err.code, message: err.message } });
            log.error({ err }, 'admin command failed');
            reply(500, { error: { code: 'ADMIN_ERR_INTERNAL', message: 'the command failed; see the server log' } });
          },
        );
        return;
      }
      if (req.url === '/silence-command') {
        const cmd = silenceCommandSchema.safeParse(json);
        if (!cmd.success) return reply(400, { error: { code: 'ADMIN_ERR_SCHEMA', message: describeIssues(fieldIssues(cmd.error)) } });
        runSilenceCommand(database, cmd.data, new Date()).then(
          (result) => {
            if (result.command !== 'silence-list') log.info({ silence: result.silence.id, matchers: result.silence.matchers, endsAt: result.silence.endsAt }, `silence ${result.command === 'silence-add' ? 'created' : 'ended'} from the CLI`);
            reply(200, result);
          },
          (err: Error) => {
            if (err instanceof SilenceCommandError) return reply(400, { error: { code: err.code, message: err.message } });
            if (err instanceof SilenceError) return reply(err.code === 'SILENCE_ERR_NOT_FOUND' ? 404 : 409, { error: { code: err.code, message: err.message } });
            log.error({ err }, 'admin command failed');
            reply(500, { error: { code: 'ADMIN_ERR_INTERNAL', message: 'the command failed; see the server log' } });
          },
        );
        return;
      }
      const parsed = probeCommandSchema.safeParse(json);
      if (!parsed.success) return reply(400, { error: { code: 'ADMIN_ERR_SCHEMA', message: describeIssues(fieldIssues(parsed.error)) } });
      runProbeCommand(database, parsed.data, new Date()).then(
        (result) => reply(200, result),
        (err: Error & { code?: string }) => {
          if (err.code?.startsWith('PROBE_ERR_')) return reply(409, { error: { code: err.code, message: err.message } });
          log.error({ err }, 'admin command failed');
          reply(500, { error: { code: 'ADMIN_ERR_INTERNAL', message: 'the command failed; see the server log' } });
        },
      );
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(socketPath, resolve);
  });
  chmodSync(socketPath, 0o600);
  return {
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => {
          rmSync(socketPath, { force: true });
          resolve();
        });
      }),
  };
}
