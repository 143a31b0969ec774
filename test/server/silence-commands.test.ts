/**
 * `dropscope silence ...`: the CLI's arguments and output (cli/silence-commands.ts), the
 * command runner (server/silence-commands.ts) on every backend, and the admin socket's
 * /silence-command route over a real Unix socket.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { request } from 'node:http';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { formatSilenceResult, parseSilenceArgs, SilenceUsageError, SILENCE_USAGE } from '../../cli/silence-commands';
import type { Database } from '../../db/client';
import { listAudit } from '../../db/queries/audit';
import type { SilenceView } from '../../lib/alerts/silence';
import { createLogger } from '../../lib/log';
import { ADMIN_SOCKET, startAdminSocket } from '../../server/admin-socket';
import { runSilenceCommand, silenceCommandSchema } from '../../server/silence-commands';
import type { CanaryTarget } from '../../target/canary-target';
import { backends } from '../helpers/databases';

const NOW = new Date('2026-12-07T10:00:00Z');

describe('parseSilenceArgs', () => {
  it('creates a silence from now with every --scope as a matcher', () => {
    expect(parseSilenceArgs(['--for', '2m', '--scope', 'target=builtin'], NOW)).toEqual({ command: 'silence-add', silence: { matchers: { target: 'builtin' }, duration: '2m', comment: '' } });
    expect(parseSilenceArgs(['add', '--for=1h30m', '--scope=proxy=squid', '--scope', 'label:region=eu', '--comment', 'upgrading squid'], NOW)).toEqual({
      command: 'silence-add',
      silence: { matchers: { proxy: 'squid', 'label:region': 'eu' }, duration: '1h30m', comment: 'upgrading squid' },
    });
    // A value may hold '=' (only the first one splits).
    expect(parseSilenceArgs(['--for', '5m', '--scope', 'rule=a=b'], NOW)).toMatchObject({ silence: { matchers: { rule: 'a=b' } } });
  });

  it('lists (all by default, or one state) and ends by id', () => {
    expect(parseSilenceArgs(['list'], NOW)).toEqual({ command: 'silence-list', state: 'all' });
    expect(parseSilenceArgs(['list', '--state', 'active'], NOW)).toEqual({ command: 'silence-list', state: 'active' });
    expect(parseSilenceArgs(['end', '12'], NOW)).toEqual({ command: 'silence-end', id: 12 });
  });

  it.each([
    [['--scope', 'target=builtin'], '--for is needed'],
    [['--for', '2m'], '--scope is needed'],
    [['--for'], '--for needs a value'],
    [['--for', 'soon', '--scope', 'target=builtin'], '--for: expected a duration'],
    [['--for', '31d', '--scope', 'target=builtin'], '--for: expected a silence of at most 30 days'],
    [['--for', '2m', '--scope', 'builtin'], '--scope expects <key>=<value>'],
    [['--for', '2m', '--scope', 'path=x'], '--scope path: expected target, proxy, probe, rule or label:<key>'],
    [['--for', '2m', '--scope', 'target='], '--scope target: expected a value of 1 to 128 characters'],
    [['--for', '2m', '--scope', 'target=a', '--scope', 'target=b'], '--scope target given twice'],
    [['--for', '2m', '--for', '3m', '--scope', 'target=a'], '--for given twice'],
    [['--for', '2m', '--scope', 'target=a', '--state', 'active'], '--state does not go with creating a silence'],
    [['list', '--for', '2m'], '--for does not go with silence list'],
    [['list', '--state', 'over'], '--state: expected active, pending, expired or all'],
    [['end'], 'silence end expects a silence id'],
    [['end', 'abc'], 'got "abc"'],
    [['end', '3', '--scope', 'target=x'], '--scope does not go with silence end'],
    [['mute'], 'unknown command silence mute'],
    [['--quiet'], 'unknown option --quiet'],
    [['list', 'all', 'now'], 'unexpected arguments: now'],
  ])('refuses %j: %s', (argv, message) => {
    expect(() => parseSilenceArgs(argv, NOW)).toThrow(SilenceUsageError);
    expect(() => parseSilenceArgs(argv, NOW)).toThrow(message);
  });

  it('documents every form', () => {
    for (const form of ['silence --for', '--scope', 'silence list', 'silence end <id>', 'label:<key>']) expect(SILENCE_USAGE).toContain(form);
  });
});

const view = (over: Partial<SilenceView>): SilenceView => ({
  id: 4,
  matchers: { target: 'builtin' },
  startsAt: '2026-12-07T10:00:00.000Z',
  endsAt: '2026-12-07T10:02:00.000Z',
  comment: '',
  createdBy: 'dropscope CLI',
  createdAt: '2026-12-07T10:00:00.000Z',
  endedBy: null,
  state: 'active',
  ...over,
});

describe('formatSilenceResult', () => {
  it('says what is muted until when, and how to end it', () => {
    expect(formatSilenceResult({ command: 'silence-add', silence: view({}) })).toBe(
      'silence 4 active until 2026-12-07T10:02:00Z (2m): alerts matching target=builtin notify no one.\nend it early: dropscope silence end 4\n',
    );
    expect(formatSilenceResult({ command: 'silence-add', silence: view({ state: 'pending', startsAt: '2026-12-07T11:00:00.000Z', endsAt: '2026-12-07T12:30:00.000Z' }) })).toContain(
      'silence 4 pending from 2026-12-07T11:00:00Z until 2026-12-07T12:30:00Z',
    );
    expect(formatSilenceResult({ command: 'silence-end', silence: view({ state: 'expired', endsAt: '2026-12-07T10:01:00.000Z', endedBy: 'dropscope CLI' }) })).toContain('silence 4 ended at 2026-12-07T10:01:00Z (target=builtin)');
  });

  it('lists silences as a table, and says when there are none', () => {
    const out = formatSilenceResult({
      command: 'silence-list',
      state: 'all',
      now: NOW.toISOString(),
      silences: [view({ comment: 'pause demo' }), view({ id: 5, matchers: { proxy: 'squid', 'label:region': 'eu' }, state: 'expired', endedBy: 'alice@example.com' })],
    });
    const lines = out.trimEnd().split('\n');
    expect(lines[0]).toMatch(/^ID\s+STATE\s+MATCHERS\s+FROM\s+UNTIL\s+BY\s+COMMENT$/);
    expect(lines[1]).toMatch(/^4\s+active\s+target=builtin\s+2026-12-07T10:00:00Z\s+2026-12-07T10:02:00Z\s+dropscope CLI\s+pause demo$/);
    expect(lines[2]).toMatch(/^5\s+ended\s+label:region=eu, proxy=squid\s+.*dropscope CLI \(ended by alice@example.com\)\s+-$/);
    expect(formatSilenceResult({ command: 'silence-list', state: 'all', now: NOW.toISOString(), silences: [] })).toContain('no silences: dropscope silence --for 2m');
    expect(formatSilenceResult({ command: 'silence-list', state: 'active', now: NOW.toISOString(), silences: [] })).toBe('no active silences\n');
  });
});

describe.each(backends())('runSilenceCommand on $name', (backend) => {
  let database: Database;
  beforeAll(async () => {
    database = await backend.open();
  });
  afterAll(() => database.close());

  it('creates from now as the CLI, lists, ends; refuses an implausible window and unknown ids', async () => {
    const added = await runSilenceCommand(database, parseSilenceArgs(['--for', '2m', '--scope', 'target=builtin', '--comment', 'pause'], NOW), NOW);
    expect(added).toMatchObject({ command: 'silence-add', silence: { matchers: { target: 'builtin' }, startsAt: NOW.toISOString(), endsAt: '2026-12-07T10:02:00.000Z', createdBy: 'dropscope CLI', comment: 'pause', state: 'active' } });
    const id = added.command === 'silence-add' ? added.silence.id : 0;
    const listed = await runSilenceCommand(database, { command: 'silence-list', state: 'active' }, new Date(NOW.getTime() + 60_000));
    expect(listed.command === 'silence-list' && listed.silences.map((s) => s.id)).toEqual([id]);
    const ended = await runSilenceCommand(database, { command: 'silence-end', id }, new Date(NOW.getTime() + 60_000));
    expect(ended).toMatchObject({ silence: { id, state: 'expired', endedBy: 'dropscope CLI', endsAt: '2026-12-07T10:01:00.000Z' } });
    await expect(runSilenceCommand(database, { command: 'silence-end', id }, new Date(NOW.getTime() + 90_000))).rejects.toMatchObject({ code: 'SILENCE_ERR_ENDED' });
    await expect(runSilenceCommand(database, { command: 'silence-end', id: 999_999 }, NOW)).rejects.toMatchObject({ code: 'SILENCE_ERR_NOT_FOUND' });
    await expect(runSilenceCommand(database, silenceCommandSchema.parse({ command: 'silence-add', silence: { matchers: { target: 'x' }, startsAt: '2020-01-01T00:00:00Z', duration: '1h' } }), NOW)).rejects.toMatchObject({
      code: 'SILENCE_ERR_WINDOW',
      message: expect.stringContaining('duration: expected an end in the future'),
    });
    const audit = (await listAudit(database.db, { limit: 10, subjectKind: 'silence' })).filter((a) => a.subjectId === String(id));
    expect(audit.map((a) => [a.action, a.actorKind])).toEqual([
      ['silence.end', 'cli'],
      ['silence.create', 'cli'],
    ]);
  });
});

describe.each(backends().slice(0, 1))('the admin socket /silence-command on $name', (backend) => {
  let database: Database;
  let dir: string;
  let socket: { close(): Promise<void> };
  beforeAll(async () => {
    database = await backend.open();
    dir = mkdtempSync(path.join(tmpdir(), 'ds-silence-'));
    socket = await startAdminSocket(dir, database, createLogger({ level: 'silent' }), {} as CanaryTarget);
  });
  afterAll(async () => {
    await socket?.close();
    await database?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  const post = (body: unknown) =>
    new Promise<{ status: number; body: Record<string, unknown> }>((resolve, reject) => {
      const req = request({ socketPath: path.join(dir, ADMIN_SOCKET), path: '/silence-command', method: 'POST', headers: { 'content-type': 'application/json' } }, (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body: JSON.parse(Buffer.concat(chunks).toString('utf8')) as Record<string, unknown> }));
      });
      req.on('error', reject);
      req.end(JSON.stringify(body));
    });

  it('runs the commands the CLI sends; 400 for a bad command or window, 404 and 409 for ids', async () => {
    const added = await post(parseSilenceArgs(['--for', '10m', '--scope', 'probe=edge-1']));
    expect(added.status).toBe(200);
    expect(added.body).toMatchObject({ command: 'silence-add', silence: { matchers: { probe: 'edge-1' }, state: 'active', createdBy: 'dropscope CLI' } });
    const id = (added.body.silence as SilenceView).id;
    const list = await post({ command: 'silence-list', state: 'active' });
    expect((list.body.silences as SilenceView[]).map((s) => s.id)).toEqual([id]);
    expect(formatSilenceResult(list.body as never)).toContain('probe=edge-1');

    const bad = await post({ command: 'silence-add', silence: { matchers: { where: 'x' }, duration: '2m' } });
    expect(bad.status).toBe(400);
    expect(bad.body).toMatchObject({ error: { code: 'ADMIN_ERR_SCHEMA', message: expect.stringContaining('silence.matchers.where') } });
    const past = await post({ command: 'silence-add', silence: { matchers: { target: 'x' }, endsAt: '2020-01-01T00:00:00Z' } });
    expect(past).toMatchObject({ status: 400, body: { error: { code: 'SILENCE_ERR_WINDOW' } } });

    expect((await post({ command: 'silence-end', id })).status).toBe(200);
    expect(await post({ command: 'silence-end', id })).toMatchObject({ status: 409, body: { error: { code: 'SILENCE_ERR_ENDED' } } });
    expect(await post({ command: 'silence-end', id: 999_999 })).toMatchObject({ status: 404, body: { error: { code: 'SILENCE_ERR_NOT_FOUND' } } });
  });
});
