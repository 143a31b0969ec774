/**
 * JSON error answers. Every error body has the same shape so probes and scripts can act
 * on `code` and show `message`; schema errors list each bad field by its path.
 */
import type { z } from 'zod';

export interface FieldIssue {
  /** Dotted path of the bad field, e.g. `events.3.durationMs`. */
  path: string;
  message: string;
}

export function problem(status: number, code: string, message: string, extra?: { issues?: FieldIssue[]; headers?: Record<string, string> }): Response {
  return Response.json(
    { error: { code, message, ...(extra?.issues && { issues: extra.issues }) } },
    { status, headers: extra?.headers },
  );
}

/** How long a client should wait before asking again while the database cannot be reached. */
export const UNAVAILABLE_RETRY_AFTER_S = 5;

/**
 * 503 with Retry-After: the database cannot be reached. `what` is what the caller may need
 * to know of its own request ("nothing was kept").
 */
export function unavailable(code: string, what?: string): Response {
  return problem(503, code, `the database cannot be reached${what ? `; ${what}` : ''}; retry in ${UNAVAILABLE_RETRY_AFTER_S} s`, {
    headers: { 'retry-after': String(UNAVAILABLE_RETRY_AFTER_S) },
  });
}

/** Flatten zod issues into field paths a human can find in their payload. */
export function fieldIssues(error: z.ZodError): FieldIssue[] {
  return error.issues.map((i) => ({ path: i.path.map(String).join('.') || '(root)', message: i.message }));
}

/** A one-line summary naming the first few bad fields. */
export function describeIssues(issues: readonly FieldIssue[], max = 3): string {
  const shown = issues.slice(0, max).map((i) => `${i.path}: ${i.message}`);
  const more = issues.length > max ? ` (and ${issues.length - max} more)` : '';
  return shown.join('; ') + more;
}
