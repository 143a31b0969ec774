/**
 * A stand-in for the ingest API that an agent test can break at will: a real node:http server
 * on a loopback address of its own. Like the real one it decodes gzip, checks the bearer token,
 * validates with the real ingest schema and dedupes by event id; it records every request and
 * every event, and a test overrides the answer (`answer`), revokes the token (`tokenValid`),
 * limits the body (`maxBodyBytes`) or makes it disappear (`close()`, then `listen()` again on
 * the same port).
 */
import { randomInt } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { gunzipSync } from 'node:zlib';
import { ingestBatchSchema, type IngestEvent } from '../../lib/contracts/ingest';
import { fieldIssues } from '../../lib/http/problem';

/** An answer instead of the normal one. */
export interface IngestAnswer {
  status: number;
  /** Sent as is when a string, as JSON otherwise (default `{}`). */
  body?: unknown;
  headers?: Record<string, string>;
  /** Store the batch, then never answer (the answer is lost on the way back). */
  hang?: boolean;
}

export interface IngestRequest {
  /** When it arrived, on the backend's clock. */
  at: number;
  /** The status answered; 0 for a request left hanging. */
  status: number;
  /** The ids of the events in the body, whatever the answer (none when it is not a batch). */
  ids: string[];
  events: number;
  /** Decoded body size. */
  rawBytes: number;
  encoding: string | undefined;
}

const UNAUTHORIZED = { error: { code: 'INGEST_ERR_UNAUTHORIZED', message: 'unknown or revoked probe token' } };

export class IngestBackend {
  readonly server: Server = createServer((req, res) => void this.handle(req, res));
  /** 0 until the first listen(); kept across close() so listen() comes back on the same port. */
  port = 0;
  /**
   * A loopback address of its own (all of 127.0.0.0/8 is loopback): a test that closes the
   * backend and listens again on the same port would, on 127.0.0.1, race servers of tests
   * running in parallel for that port.
   */
  readonly host = `127.${randomInt(1, 255)}.${randomInt(0, 256)}.${randomInt(1, 255)}`;
  /** Events stored, in arrival order (replays included). */
  readonly received: IngestEvent[] = [];
  readonly requests: IngestRequest[] = [];
  /** Ids stored. */
  readonly stored = new Set<string>();
  /** Events received again after they were stored. */
  duplicates = 0;
  /** false: every request is answered 401, as for a revoked token. */
  tokenValid = true;
  /** Bodies larger than this (decoded) are answered 413. */
  maxBodyBytes = Infinity;
  /** Return an answer to override the normal one for this batch (after the token, size and schema checks). */
  answer: ((events: IngestEvent[]) => IngestAnswer | undefined) | undefined;

  readonly #token: string;
  readonly #clock: () => number;

  /** `clock` dates the requests (default `performance.now`); tests on virtual time pass theirs. */
  constructor(options: { token: string; clock?: () => number }) {
    this.#token = options.token;
    this.#clock = options.clock ?? (() => performance.now());
  }

  get url(): string {
    return `http://${this.host}:${this.port}`;
  }

  async listen(): Promise<void> {
    await new Promise<void>((resolve, reject) => {
      this.server.once('error', reject);
      this.server.listen(this.port, this.host, () => {
        this.server.off('error', reject);
        resolve();
      });
    });
    this.port = (this.server.address() as AddressInfo).port;
  }

  /** Connection refused from now on, in-flight requests cut. */
  async close(): Promise<void> {
    if (!this.server.listening) return;
    const closed = new Promise<void>((resolve) => this.server.close(() => resolve()));
    this.server.closeAllConnections();
    await closed;
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    let raw = Buffer.concat(chunks);
    const encoding = req.headers['content-encoding'];
    if (encoding === 'gzip') raw = gunzipSync(raw);
    let body: unknown;
    try {
      body = JSON.parse(raw.toString('utf8'));
    } catch {
      body = undefined;
    }
    const sent = (body as { events?: unknown } | undefined)?.events;
    const ids = Array.isArray(sent) ? sent.map((e) => String((e as { id?: unknown })?.id)) : [];
    const record = (status: number) => this.requests.push({ at: this.#clock(), status, ids, events: ids.length, rawBytes: raw.length, encoding });
    const send = (status: number, payload: unknown, headers: Record<string, string> = {}) => {
      record(status);
      res.writeHead(status, { 'content-type': 'application/json', ...headers }).end(typeof payload === 'string' ? payload : JSON.stringify(payload ?? {}));
    };

    if (!this.tokenValid || req.headers.authorization !== `Bearer ${this.#token}`) return send(401, UNAUTHORIZED);
    if (raw.length > this.maxBodyBytes) return send(413, { error: { code: 'INGEST_ERR_TOO_LARGE', message: 'body too large' } });
    if (body === undefined) return send(400, { error: { code: 'INGEST_ERR_JSON', message: 'body is not valid JSON' } });
    const parsed = ingestBatchSchema.safeParse(body);
    if (!parsed.success) {
      return send(400, { error: { code: 'INGEST_ERR_SCHEMA', message: 'batch rejected, nothing stored', issues: fieldIssues(parsed.error) } });
    }
    const events = parsed.data.events;
    const special = this.answer?.(events);
    if (special && !special.hang) return send(special.status, special.body, special.headers);
    let accepted = 0;
    for (const e of events) {
      this.received.push(e);
      if (this.stored.has(e.id)) this.duplicates++;
      else {
        this.stored.add(e.id);
        accepted++;
      }
    }
    if (special?.hang) return void record(0);
    send(200, { accepted, duplicates: events.length - accepted });
  }
}
