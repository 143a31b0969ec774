/**
 * Request bodies of the fleet plan API (`/api/v1/plan/*`), as editors write them. The
 * entries are the probe YAML's (lib/contracts/plan.ts) where they can be, with what a
 * server plan cannot hold refused at its field: a proxy's literal credentials, a file on
 * the probe's disk.
 */
import { z } from 'zod';
import { BUILTIN_PROXY_NAME, name, profileSchema, proxyTemplateSchema, targetSchema, wsUrl } from '../contracts/plan';
import { selectorProblem } from './selector';

const IPV4 = /^[0-9]{1,3}(\.[0-9]{1,3}){3}$/;
const MAX_HEADERS = 50;

export const planTargetInputSchema = z
  .strictObject({
    name,
    url: wsUrl,
    headers: targetSchema.shape.headers
      .refine((h) => Object.keys(h).length <= MAX_HEADERS, `expected at most ${MAX_HEADERS} headers`)
      .refine((h) => Object.values(h).every((v) => v.length <= 8192 && !/[\r\n]/.test(v)), 'expected header values of one line, at most 8192 characters'),
    subprotocols: targetSchema.shape.subprotocols.refine((s) => s.length <= 32, 'expected at most 32 subprotocols'),
    origin: targetSchema.shape.origin.refine((o) => o === undefined || o.length <= 2048, 'expected an origin of at most 2048 characters'),
    tls: z
      .strictObject({
        verify: z.boolean().default(true),
        servername: z.string().min(1).max(253).optional(),
        /** Named only to refuse it with a reason (a strict object would just say "unrecognized key"). */
        caFile: z.unknown().optional(),
      })
      .default({ verify: true }),
  })
  .superRefine((t, ctx) => {
    if (t.tls.caFile !== undefined) {
      ctx.addIssue({ code: 'custom', path: ['tls', 'caFile'], message: 'a server plan cannot name a file on the probe: set tls.caFile in probe.yaml instead' });
    }
    // The agent refuses this too (agent/config.ts); saying so here keeps it off every probe.
    let host = '';
    try {
      host = new URL(t.url).hostname;
    } catch {
      return; // `url` already carries the issue
    }
    if (t.url.startsWith('wss:') && (host.startsWith('[') || IPV4.test(host)) && t.tls.verify && !t.tls.servername) {
      ctx.addIssue({ code: 'custom', path: ['tls', 'servername'], message: 'a wss:// URL with an IP address needs tls.servername to verify the certificate' });
    }
  })
  .transform(({ tls: { caFile: _caFile, ...tls }, ...rest }) => ({ ...rest, tls }));
export type PlanTargetInput = z.output<typeof planTargetInputSchema>;
/** The body a form sends for a target. */
export type PlanTargetBody = z.input<typeof planTargetInputSchema>;

export const planProxyInputSchema = z.strictObject({
  name: name.refine((n) => n !== BUILTIN_PROXY_NAME, `"${BUILTIN_PROXY_NAME}" is built in (no proxy): name this proxy otherwise`),
  url: proxyTemplateSchema,
});
export type PlanProxyInput = z.output<typeof planProxyInputSchema>;
export type PlanProxyBody = z.input<typeof planProxyInputSchema>;

/** The YAML's profile shape; a profile may take a built-in's name, and then replaces it on the probes that use it. */
export const planProfileInputSchema = profileSchema;
export type PlanProfileInput = z.output<typeof planProfileInputSchema>;
export type PlanProfileBody = z.input<typeof planProfileInputSchema>;

export const selectorSchema = z
  .string()
  .max(200)
  .superRefine((text, ctx) => {
    const problem = selectorProblem(text);
    if (problem) ctx.addIssue({ code: 'custom', message: problem });
  });

/** One target × one proxy × one profile, on the probes the selector picks. */
export const planPathInputSchema = z.strictObject({
  target: name,
  /** A defined proxy's name, or "direct" (the default: no proxy). */
  proxy: name.default(BUILTIN_PROXY_NAME),
  /** A defined profile's name, or a built-in's (idle, heartbeat, echo, ladder). */
  profile: name,
  canaries: z.number().int().min(1).max(1000).default(1),
  probes: selectorSchema.default('*'),
  enabled: z.boolean().default(true),
});
export type PlanPathInput = z.output<typeof planPathInputSchema>;
export type PlanPathBody = z.input<typeof planPathInputSchema>;

/** Entry points a chain may declare: a CDN, a WAF, a load balancer or two, a gateway, the app... */
export const MAX_CHAIN_HOPS = 10;

/**
 * A service's chain of entry points, outermost first: target names (defined on the server or
 * in the probes' own YAML), each once.
 */
export const planChainInputSchema = z.strictObject({
  name,
  hops: z
    .array(name)
    .min(2, 'expected at least 2 entry points, outermost first')
    .max(MAX_CHAIN_HOPS, `expected at most ${MAX_CHAIN_HOPS} entry points`)
    .superRefine((hops, ctx) => {
      hops.forEach((hop, i) => {
        const first = hops.indexOf(hop);
        if (first < i) ctx.addIssue({ code: 'custom', path: [i], message: `"${hop}" is hop ${first + 1} already: a chain passes each entry point once` });
      });
    }),
});
export type PlanChainInput = z.output<typeof planChainInputSchema>;
export type PlanChainBody = z.input<typeof planChainInputSchema>;
