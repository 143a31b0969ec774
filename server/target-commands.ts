/**
 * Commands for the built-in canary target, run by the server on the CLI's behalf through
 * the admin socket: `dropscope target pause --for 2m` cuts every canary for a while,
 * so an alert rule can be tried end to end against the quick-start demo.
 */
import { z } from 'zod';
import { parseDuration } from '../lib/alerts/duration';
import type { CanaryTarget } from '../target/canary-target';

const MAX_PAUSE_MS = 24 * 3_600_000;

export const targetCommandSchema = z.discriminatedUnion('command', [
  z.strictObject({
    command: z.literal('pause'),
    for: z.string().refine((d) => {
      const ms = parseDuration(d);
      return ms !== null && ms >= 1000 && ms <= MAX_PAUSE_MS;
    }, 'expected a duration from 1s to 24h such as 2m'),
  }),
  z.strictObject({ command: z.literal('resume') }),
  z.strictObject({ command: z.literal('status') }),
]);
export type TargetCommand = z.infer<typeof targetCommandSchema>;

export interface TargetCommandResult {
  command: TargetCommand['command'];
  pausedUntil: string | null;
  openSessions: number;
}

export function runTargetCommand(target: CanaryTarget, cmd: TargetCommand): TargetCommandResult {
  if (cmd.command === 'pause') target.pause(parseDuration(cmd.for)!);
  else if (cmd.command === 'resume') target.resume();
  return { command: cmd.command, pausedUntil: target.pausedUntil()?.toISOString() ?? null, openSessions: target.openSessions() };
}
