/**
 * `POST /api/v1/ingest`, independent of Next: takes a Web Request, returns a Response.
 * Storage, authentication and the live feed are injected so this can be tested on its own
 * and the route file stays a one-liner.
 *
 * Answers: 200 stored (or all duplicates); 400 malformed JSON or schema violation, with
 * the path of each bad field; 401 missing, unknown or revoked token; 413 body too large;
 * 415 unsupported content-encoding; 503 with Retry-After while the database cannot be
 * reached (nothing stored: the probe waits and resends); 500 any other storage failure
 * (nothing stored: the probe retries).
 */
import { ingestBatchSchema, type IngestEvent, type IngestResult } from '../contracts/ingest';
import { BodyError, readBody } from '../http/read-body';
import { describeIssues, fieldIssues, problem, unavailable } from '../http/problem';
import type { Logger } from '../log';

/** The code of the store's error for a probe deleted meanwhile (db/queries/ingest.ts ProbeGoneError). */
const PROBE_GONE = 'INGEST_ERR_PROBE_GONE';

export interface IngestDeps {
  authenticate(token: string): Promise<{ id: number; name: string } | null>;
  store(probeId: number, events: IngestEvent[], now: Date): Promise<IngestResult & { applied: IngestEvent[] }>;
  publish(probe: string, applied: IngestEvent[]): void;
  now(): Date;
  maxBodyBytes: number;
  log: Logger;
  /** Whether a storage error means the database cannot be reached right now (db/unavailable.ts). */
  unavailable(err: unknown): boolean;
}

/**
 * What the handler needs of a request, whichever server received it: a header, and the
 * body read under a byte limit (throwing BodyError). The web one (`handleIngest`) serves
 * Next's route; lib/ingest/serve-node.ts serves node:http directly (issue 14).
 */
export interface IngestRequest {
  header(name: string): string | null;
  readBody(maxBytes: number): Promise<string>;
}

/** `POST /api/v1/ingest` for a web Request (Next's route handler, tests). */
export function handleIngest(request: Request, deps: IngestDeps): Promise<Response> {
  return answerIngest({ header: (name) => request.headers.get(name), readBody: (max) => readBody(request, max) }, deps);
}

export async function answerIngest(request: IngestRequest, deps: IngestDeps): Promise<Response> {
  const auth = request.header('authorization') ?? '';
  const m = /^Bearer\s+(\S+)\s*$/i.exec(auth);
  if (!m?.[1]) {
    return problem(401, 'INGEST_ERR_UNAUTHORIZED', 'missing bearer token: send "Authorization: Bearer <probe token>"', {
      headers: { 'www-authenticate': 'Bearer realm="dropscope-ingest"' },
    });
  }
  let probe: { id: number; name: string } | null;
  try {
    probe = await deps.authenticate(m[1]);
  } catch (err) {
    if (!deps.unavailable(err)) throw err;
    deps.log.warn({ err }, 'ingest: the database cannot be reached to authenticate');
    return unavailable('INGEST_ERR_UNAVAILABLE', 'nothing was kept');
  }
  if (!probe) {
    return problem(401, 'INGEST_ERR_UNAUTHORIZED', 'unknown or revoked probe token', {
      headers: { 'www-authenticate': 'Bearer realm="dropscope-ingest", error="invalid_token"' },
    });
  }

  let text: string;
  try {
    text = await request.readBody(deps.maxBodyBytes);
  } catch (err) {
    if (!(err instanceof BodyError)) throw err;
    const status = err.code === 'BODY_TOO_LARGE' ? 413 : err.code === 'BODY_UNSUPPORTED_ENCODING' ? 415 : 400;
    return problem(status, `INGEST_ERR_${err.code.slice('BODY_'.length)}`, err.message);
  }

  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (err) {
    return problem(400, 'INGEST_ERR_JSON', `body is not valid JSON: ${(err as Error).message}`);
  }
  const parsed = ingestBatchSchema.safeParse(json);
  if (!parsed.success) {
    const issues = fieldIssues(parsed.error);
    return problem(400, 'INGEST_ERR_SCHEMA', `batch rejected, nothing stored: ${describeIssues(issues)}`, { issues });
  }

  let stored;
  try {
    stored = await deps.store(probe.id, parsed.data.events, deps.now());
  } catch (err) {
    if (deps.unavailable(err)) {
      deps.log.warn({ err, probe: probe.name, events: parsed.data.events.length }, 'ingest: the database cannot be reached');
      return unavailable('INGEST_ERR_UNAVAILABLE', 'nothing was kept');
    }
    // Deleted between its token's check and the store (db/queries/ingest.ts ProbeGoneError):
    // the token is no longer valid, as it would have been found a moment later.
    if ((err as { code?: unknown }).code === PROBE_GONE) {
      return problem(401, 'INGEST_ERR_UNAUTHORIZED', 'this probe was deleted while its batch was being stored; nothing was kept', {
        headers: { 'www-authenticate': 'Bearer realm="dropscope-ingest", error="invalid_token"' },
      });
    }
    deps.log.error({ err, probe: probe.name, events: parsed.data.events.length }, 'storing an ingest batch failed');
    return problem(500, 'INGEST_ERR_STORE', 'the batch could not be stored; nothing was kept, retry later');
  }
  if (stored.applied.length > 0) {
    try {
      deps.publish(probe.name, stored.applied);
    } catch (err) {
      // The batch is committed; a failed live push must not make the probe resend it.
      deps.log.warn({ err }, 'live push failed');
    }
  }
  const result: IngestResult = { accepted: stored.accepted, duplicates: stored.duplicates };
  return Response.json(result, { status: 200 });
}
