/**
 * Request bodies and path ids of the dashboard's JSON API, parsed with zod. A failure is
 * the Response to send: 400 with `error.issues[]` naming each bad field, 413, or 415.
 */
import type { z } from 'zod';
import { describeIssues, fieldIssues, problem } from './problem';
import { nulTextIssue } from './nul-text';
import { BodyError, readBody } from './read-body';

const MAX_BODY = 64 * 1024;

export type Parsed<T> = { ok: true; data: T } | { ok: false; response: Response };

export async function parseJsonBody<S extends z.ZodType>(request: Request, schema: S): Promise<Parsed<z.output<S>>> {
  if (!(request.headers.get('content-type') ?? '').toLowerCase().startsWith('application/json')) {
    return { ok: false, response: problem(415, 'API_ERR_MEDIA_TYPE', 'send the body as application/json') };
  }
  let text: string;
  try {
    text = await readBody(request, MAX_BODY);
  } catch (err) {
    if (!(err instanceof BodyError)) throw err;
    return { ok: false, response: problem(err.code === 'BODY_TOO_LARGE' ? 413 : 415, `API_ERR_${err.code.slice('BODY_'.length)}`, err.message) };
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (err) {
    return { ok: false, response: problem(400, 'API_ERR_JSON', `body is not valid JSON: ${(err as Error).message}`) };
  }
  // Before the schema: its messages would name a field's other faults and let this one through.
  const nul = nulTextIssue(json);
  if (nul) return { ok: false, response: problem(400, 'API_ERR_SCHEMA', `invalid body: ${describeIssues([nul])}`, { issues: [nul] }) };
  const parsed = schema.safeParse(json);
  if (!parsed.success) {
    const issues = fieldIssues(parsed.error);
    return { ok: false, response: problem(400, 'API_ERR_SCHEMA', `invalid body: ${describeIssues(issues)}`, { issues }) };
  }
  return { ok: true, data: parsed.data };
}

/** A numeric id from a route segment. */
export function parseId(raw: string): Parsed<number> {
  if (!/^[1-9][0-9]{0,9}$/.test(raw) || Number(raw) > 2_147_483_647) {
    return { ok: false, response: problem(400, 'API_ERR_PARAM', `id: expected a positive integer, got "${raw.slice(0, 40)}"`, { issues: [{ path: 'id', message: 'expected a positive integer' }] }) };
  }
  return { ok: true, data: Number(raw) };
}

/** A 400 for a field the database found wrong (a name taken is 409). */
export function fieldProblem(status: number, code: string, field: string, message: string): Response {
  return problem(status, code, `${field}: ${message}`, { issues: [{ path: field, message }] });
}
