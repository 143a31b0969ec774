/**
 * Request bodies of the probes API. The name, label and kind rules are the CLI's
 * (server/probe-commands.ts: `dropscope probe add`), taken from its schema rather than
 * written twice, so a probe the dashboard accepts is one the CLI accepts and back.
 */
import { z } from 'zod';
import { probeCommandSchema } from '@/server/probe-commands';

const add = probeCommandSchema.options[0];
if (add.shape.command.value !== 'add') throw new Error('server/probe-commands.ts: expected the add command first');

const probeName = add.shape.name;

/**
 * The CLI's label rule, with a bad label name reported by its own message ("expected a
 * label name like region") at `labels.<key>`, where zod says only "Invalid key in record".
 */
const probeLabels = z.unknown().transform((value, ctx) => {
  const parsed = add.shape.labels.safeParse(value, {
    error: (issue) => (issue.code === 'invalid_key' ? issue.issues[0]?.message : undefined),
  });
  if (parsed.success) return parsed.data;
  for (const issue of parsed.error.issues) ctx.addIssue({ code: 'custom', message: issue.message, path: issue.path });
  return z.NEVER;
});

export const probeCreateSchema = z.strictObject({
  name: probeName,
  labels: probeLabels.optional().transform((l) => l ?? {}),
  /** `probe` unless given. */
  kind: add.shape.kind,
});

export const probePatchSchema = z.strictObject({ labels: probeLabels });
