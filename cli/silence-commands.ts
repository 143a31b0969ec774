/**
 * `dropscope silence ...`: the arguments and the output of the commands in
 * server/silence-commands.ts.
 *
 *   dropscope silence --for 2m --scope target=builtin [--scope proxy=squid ...] [--comment text]
 *   dropscope silence list [--state active|pending|expired|all]
 *   dropscope silence end <id>
 */
import { describeMatchers, formatSilenceDuration, matcherKeyProblem, resolveSilenceSpec, type SilenceView } from '../lib/alerts/silence';
import { describeIssues, fieldIssues } from '../lib/http/problem';
import { silenceCommandSchema, type SilenceCommand, type SilenceCommandResult } from '../server/silence-commands';

export const SILENCE_USAGE = `  dropscope silence --for <duration> --scope <key>=<value> [--scope ...] [--comment <text>]
                                         mute matching alerts from now (e.g. --for 2m --scope target=builtin);
                                         keys: target, proxy, probe, rule, label:<key>
  dropscope silence list [--state active|pending|expired|all]
  dropscope silence end <id>             end a silence now`;

export class SilenceUsageError extends Error {}

const FLAG = /^--(for|scope|comment|state)(?:=(.*))?$/;

/** The field of a command's schema error, as the option that sets it. */
function optionOf(path: string): string {
  if (path === 'silence.duration') return '--for';
  if (path === 'silence.comment') return '--comment';
  if (path === 'silence.matchers') return '--scope';
  if (path.startsWith('silence.matchers.')) return `--scope ${path.slice('silence.matchers.'.length)}`;
  if (path === 'state') return '--state';
  return path;
}

/**
 * `argv` after the noun (`silence`) and the flags common to every command (--data-dir,
 * --database-url) were taken out. Throws SilenceUsageError naming the option at fault.
 * `now` only checks that the window is plausible (the server decides it when it runs).
 */
export function parseSilenceArgs(argv: readonly string[], now: Date = new Date()): SilenceCommand {
  const positional: string[] = [];
  const scopes: string[] = [];
  const flags: Record<string, string> = {};
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    const m = FLAG.exec(a);
    if (m) {
      const value = m[2] ?? argv[++i];
      if (value === undefined) throw new SilenceUsageError(`--${m[1]} needs a value`);
      if (m[1] === 'scope') scopes.push(value);
      else if (flags[m[1]!] !== undefined) throw new SilenceUsageError(`--${m[1]} given twice`);
      else flags[m[1]!] = value;
    } else if (a.startsWith('-')) throw new SilenceUsageError(`unknown option ${a}`);
    else positional.push(a);
  }
  const [verb, arg, ...rest] = positional;
  if (rest.length > 0) throw new SilenceUsageError(`unexpected arguments: ${rest.join(' ')}`);
  const only = (allowed: string[], what: string) => {
    const extra = Object.keys(flags).filter((f) => !allowed.includes(f));
    if (scopes.length > 0 && !allowed.includes('scope')) extra.unshift('scope');
    if (extra.length > 0) throw new SilenceUsageError(`--${extra[0]} does not go with ${what}`);
  };

  let raw: Record<string, unknown>;
  if (verb === undefined || verb === 'add') {
    if (arg !== undefined) throw new SilenceUsageError(`unexpected argument: ${arg}`);
    only(['for', 'scope', 'comment'], 'creating a silence');
    if (flags.for === undefined) throw new SilenceUsageError('--for is needed: how long to silence, e.g. --for 2m or --for 1h30m');
    if (scopes.length === 0) throw new SilenceUsageError('--scope is needed: what to silence, e.g. --scope target=builtin');
    const matchers: Record<string, string> = {};
    for (const s of scopes) {
      const eq = s.indexOf('=');
      if (eq <= 0) throw new SilenceUsageError(`--scope expects <key>=<value>, e.g. target=builtin; got "${s}"`);
      const key = s.slice(0, eq);
      const problem = matcherKeyProblem(key);
      if (problem) throw new SilenceUsageError(`--scope ${key}: ${problem}`);
      if (key in matchers) throw new SilenceUsageError(`--scope ${key} given twice: a silence matches one value per key`);
      matchers[key] = s.slice(eq + 1);
    }
    raw = { command: 'silence-add', silence: { matchers, duration: flags.for, ...(flags.comment !== undefined && { comment: flags.comment }) } };
  } else if (verb === 'list') {
    if (arg !== undefined) throw new SilenceUsageError(`unexpected argument: ${arg}`);
    only(['state'], 'silence list');
    raw = { command: 'silence-list', ...(flags.state !== undefined && { state: flags.state }) };
  } else if (verb === 'end') {
    only([], 'silence end');
    if (arg === undefined || !/^[1-9][0-9]{0,9}$/.test(arg)) throw new SilenceUsageError(`silence end expects a silence id (see dropscope silence list)${arg === undefined ? '' : `; got "${arg}"`}`);
    raw = { command: 'silence-end', id: Number(arg) };
  } else {
    throw new SilenceUsageError(`unknown command silence ${verb}`);
  }

  const parsed = silenceCommandSchema.safeParse(raw);
  if (!parsed.success) throw new SilenceUsageError(describeIssues(fieldIssues(parsed.error).map((i) => ({ ...i, path: optionOf(i.path) }))));
  if (parsed.data.command === 'silence-add') {
    const window = resolveSilenceSpec(parsed.data.silence, now);
    if (!window.ok) throw new SilenceUsageError(describeIssues(window.issues.map((i) => ({ ...i, path: optionOf(`silence.${i.path}`) }))));
  }
  return parsed.data;
}

function table(head: string[], rows: string[][]): string {
  const widths = head.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
  return [head, ...rows].map((r) => r.map((c, i) => c.padEnd(widths[i]!)).join('  ').trimEnd()).join('\n') + '\n';
}

/** `2026-12-07T10:02:00Z`: to the second, UTC. */
const iso = (t: string) => new Date(t).toISOString().replace(/\.\d{3}Z$/, 'Z');
const length = (s: SilenceView) => formatSilenceDuration(Date.parse(s.endsAt) - Date.parse(s.startsAt));

export function formatSilenceResult(r: SilenceCommandResult): string {
  switch (r.command) {
    case 'silence-add': {
      const s = r.silence;
      const when = s.state === 'pending' ? `from ${iso(s.startsAt)} until ${iso(s.endsAt)}` : `until ${iso(s.endsAt)} (${length(s)})`;
      return `silence ${s.id} ${s.state} ${when}: alerts matching ${describeMatchers(s.matchers)} notify no one.\nend it early: dropscope silence end ${s.id}\n`;
    }
    case 'silence-end':
      return `silence ${r.silence.id} ended at ${iso(r.silence.endsAt)} (${describeMatchers(r.silence.matchers)}); a firing alert it held is sent at the next evaluation\n`;
    case 'silence-list':
      if (r.silences.length === 0) {
        return r.state === 'all' ? 'no silences: dropscope silence --for 2m --scope target=builtin\n' : `no ${r.state} silences\n`;
      }
      return table(
        ['ID', 'STATE', 'MATCHERS', 'FROM', 'UNTIL', 'BY', 'COMMENT'],
        r.silences.map((s) => [String(s.id), s.endedBy ? 'ended' : s.state, describeMatchers(s.matchers), iso(s.startsAt), iso(s.endsAt), s.endedBy ? `${s.createdBy} (ended by ${s.endedBy})` : s.createdBy, s.comment || '-']),
      );
  }
}
