/**
 * A stand-in for PagerDuty's Events API v2 on 127.0.0.1 that checks every request against
 * the documented schema (https://developer.pagerduty.com/docs/events-api-v2/trigger-events/,
 * .../resolve-events/), written here from the documentation and not from our provider, so
 * a mistake in lib/receivers/pagerduty shows up as a 400:
 * - `routing_key`: 32 characters; `event_action`: trigger | acknowledge | resolve;
 * - a trigger: `payload` with `summary` (1–1024 characters), `source`, `severity`
 *   (critical | error | warning | info) required, `timestamp` (ISO 8601), `component`,
 *   `group`, `class`, `custom_details` optional; `dedup_key` ≤ 255; `links` [{href, text}],
 *   `images` [{src, href, alt}], `client`, `client_url` optional;
 * - acknowledge and resolve: `routing_key`, `event_action`, `dedup_key` only.
 * Unknown keys are refused (strict), as the documented shape is all we mean to send.
 * Answers like PagerDuty: 202 `{status: 'success', message: 'Event processed', dedup_key}`
 * (a trigger without a dedup_key gets a generated one), 400 `{status: 'invalid event',
 * message: 'Event object is invalid', errors: [...]}`.
 */
import { randomBytes } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { Socket } from 'node:net';
import { z } from 'zod';

const routingKey = z.string().length(32);
const dedupKey = z.string().min(1).max(255);
const iso8601 = z.string().refine((s) => /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:?\d{2})$/.test(s) && !Number.isNaN(Date.parse(s)), 'expected an ISO 8601 timestamp');

export const pagerDutyTrigger = z.strictObject({
  routing_key: routingKey,
  event_action: z.literal('trigger'),
  dedup_key: dedupKey.optional(),
  payload: z.strictObject({
    summary: z.string().min(1).max(1024),
    source: z.string().min(1),
    severity: z.enum(['critical', 'error', 'warning', 'info']),
    timestamp: iso8601.optional(),
    component: z.string().optional(),
    group: z.string().optional(),
    class: z.string().optional(),
    custom_details: z.record(z.string(), z.unknown()).optional(),
  }),
  images: z.array(z.strictObject({ src: z.string(), href: z.string().optional(), alt: z.string().optional() })).optional(),
  links: z.array(z.strictObject({ href: z.string().url(), text: z.string().optional() })).optional(),
  client: z.string().optional(),
  client_url: z.string().url().optional(),
});

export const pagerDutyFollowUp = z.strictObject({
  routing_key: routingKey,
  event_action: z.enum(['acknowledge', 'resolve']),
  dedup_key: dedupKey,
});

export const pagerDutyEvent = z.union([pagerDutyTrigger, pagerDutyFollowUp]);

/** The schema of the event's own action, so a refusal names the bad field rather than "no union member". */
function schemaFor(body: unknown): z.ZodType<PagerDutyEvent> {
  const action = typeof body === 'object' && body !== null ? (body as { event_action?: unknown }).event_action : undefined;
  return action === 'trigger' ? pagerDutyTrigger : action === 'acknowledge' || action === 'resolve' ? pagerDutyFollowUp : pagerDutyEvent;
}
export type PagerDutyEvent = z.infer<typeof pagerDutyEvent>;

export interface PagerDutyRequest {
  path: string;
  contentType: string;
  /** The parsed body, valid or not. */
  body: unknown;
  /** The valid event, or null when it was refused. */
  event: PagerDutyEvent | null;
  answered: number;
  errors: string[];
}

export interface PagerDutyReceiver {
  url: string;
  requests: PagerDutyRequest[];
  /** The valid events, in order. */
  events(): PagerDutyEvent[];
  /** Answer the next `times` requests with `status` (429: rate limited; 5xx: PagerDuty down), whatever they hold. */
  failNext(status: number, times?: number): void;
  close(): Promise<void>;
}

export async function startPagerDutyReceiver(): Promise<PagerDutyReceiver> {
  const requests: PagerDutyRequest[] = [];
  const sockets = new Set<Socket>();
  let failing: { status: number; times: number } | null = null;
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const contentType = String(req.headers['content-type'] ?? '');
      let body: unknown = null;
      const errors: string[] = [];
      try {
        body = JSON.parse(Buffer.concat(chunks).toString('utf8'));
      } catch {
        errors.push('body is not JSON');
      }
      if (req.method !== 'POST') errors.push(`method ${req.method}`);
      if (!contentType.startsWith('application/json')) errors.push(`content-type ${contentType}`);
      if (failing && failing.times > 0) {
        failing.times -= 1;
        const status = failing.status;
        requests.push({ path: req.url ?? '/', contentType, body, event: null, answered: status, errors: [`answered ${status} on demand`] });
        res.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify({ status: status === 429 ? 'throttle event' : 'error', message: 'try again later' }));
        return;
      }
      const parsed = errors.length === 0 ? schemaFor(body).safeParse(body) : null;
      if (parsed && !parsed.success) errors.push(...parsed.error.issues.map((i) => `${i.path.join('.') || '(root)'}: ${i.message}`));
      const event = parsed?.success ? parsed.data : null;
      const answered = event ? 202 : 400;
      requests.push({ path: req.url ?? '/', contentType, body, event, answered, errors });
      const answer = event
        ? { status: 'success', message: 'Event processed', dedup_key: event.dedup_key ?? randomBytes(16).toString('hex') }
        : { status: 'invalid event', message: 'Event object is invalid', errors };
      res.writeHead(answered, { 'content-type': 'application/json' }).end(JSON.stringify(answer));
    });
  });
  server.on('connection', (s: Socket) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', resolve);
  });
  const a = server.address();
  const port = typeof a === 'object' && a ? a.port : 0;
  return {
    url: `http://127.0.0.1:${port}/v2/enqueue`,
    requests,
    events: () => requests.flatMap((r) => (r.event ? [r.event] : [])),
    failNext(status, times = 1) {
      failing = { status, times };
    },
    async close() {
      for (const s of sockets) s.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
