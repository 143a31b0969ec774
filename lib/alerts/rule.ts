/**
 * Alert rules: the wire shape (what the API and the form send: durations as text, fields
 * per kind) and the stored shape (milliseconds, one condition record). Parsed with zod at
 * the API edge; a bad body names the field (`threshold`, `scope.label`, `webhooks.0`).
 */
import { z } from 'zod';
import { formatDuration, parseDuration } from './duration';

export const ALERT_KINDS = ['drop_rate', 'upgrade_ratio', 'signature', 'silent_deaths', 'rtt_p95', 'probe_offline'] as const;
export type AlertKind = (typeof ALERT_KINDS)[number];
export const SEVERITIES = ['critical', 'warning', 'info'] as const;
export type Severity = (typeof SEVERITIES)[number];
/** What a rule may group by: one alert per distinct value (or combination). */
export const GROUP_DIMENSIONS = ['target', 'proxy', 'probe', 'profile'] as const;
export type GroupDimension = (typeof GROUP_DIMENSIONS)[number];

/** The longest window a rule may look back over: bounds every evaluation's cost. */
export const MAX_WINDOW_MS = 24 * 3_600_000;

export interface RuleScope {
  target?: string;
  proxy?: string;
  probe?: string;
  profile?: string;
  /** `key=value`. */
  label?: string;
}

/**
 * The kind's parameters in one record. `threshold` is per kind: drops per minute
 * (drop_rate), a ratio 0..1 (upgrade_ratio, fires below), pong timeouts (silent_deaths),
 * milliseconds (rtt_p95), milliseconds of silence (probe_offline), the N tolerance in
 * milliseconds (signature).
 */
export interface RuleCondition {
  threshold: number;
  /** Hysteresis: a firing alert clears only past this value. Null: the threshold itself. */
  resolveThreshold: number | null;
  /** Null for probe_offline, which looks at the last heartbeat only. */
  windowMs: number | null;
  /** Fewest attempts (upgrade_ratio) or drops in a signature (signature) that count. */
  minCount: number;
  /**
   * At least `min` probes (or distinct values of a probe label) must see the condition at
   * once (lib/alerts/quorum.ts). Absent or null: no quorum (rows written before issue 17).
   */
  quorum?: Quorum | null;
}

/** The unit a quorum counts: each probe, or each distinct value of a probe label (`label:region`). */
export type QuorumBy = 'probe' | `label:${string}`;
export interface Quorum {
  min: number;
  by: QuorumBy;
}
/** The most units a quorum may ask for: beyond it, a fleet-wide rule is what is meant. */
export const MAX_QUORUM = 100;

export interface AlertRuleSpec {
  name: string;
  kind: AlertKind;
  severity: Severity;
  enabled: boolean;
  forMs: number;
  resolveAfterMs: number;
  condition: RuleCondition;
  scope: RuleScope;
  groupBy: GroupDimension[];
  webhooks: number[];
}

const duration = (min: number, max: number) =>
  z.string().transform((text, ctx) => {
    const ms = parseDuration(text);
    if (ms === null || ms < min || ms > max) {
      ctx.addIssue({ code: 'custom', message: `expected a duration from ${formatDuration(min)} to ${formatDuration(max)} such as 30s, 5m or 1h` });
      return z.NEVER;
    }
    return ms;
  });

const name = z.string().trim().min(1, 'expected a name').max(100);
const value = z.string().min(1).max(128);
const scopeSchema = z.strictObject({
  target: value.optional(),
  proxy: value.optional(),
  probe: value.optional(),
  profile: value.optional(),
  label: z.string().regex(/^[A-Za-z_][A-Za-z0-9_]{0,63}=[^=]{1,128}$/, 'expected key=value, e.g. region=eu').optional(),
});

const LABEL_KEY = /^[A-Za-z_][A-Za-z0-9_]{0,63}$/;
const quorumSchema = z.strictObject({
  min: z.number().int().min(1).max(MAX_QUORUM),
  by: z
    .string()
    .refine((b) => b === 'probe' || (b.startsWith('label:') && LABEL_KEY.test(b.slice('label:'.length))), 'expected probe or label:<key>, e.g. label:region')
    .transform((b) => b as QuorumBy)
    .default('probe'),
});

const common = {
  name,
  severity: z.enum(SEVERITIES),
  enabled: z.boolean().default(true),
  for: duration(0, MAX_WINDOW_MS).default(0),
  resolveAfter: duration(0, MAX_WINDOW_MS).default(0),
  scope: scopeSchema.default({}),
  groupBy: z
    .array(z.enum(GROUP_DIMENSIONS))
    .max(GROUP_DIMENSIONS.length)
    .refine((g) => new Set(g).size === g.length, 'expected each dimension once')
    .default([]),
  webhooks: z.array(z.number().int().positive()).max(10).refine((w) => new Set(w).size === w.length, 'expected each webhook once').default([]),
  quorum: quorumSchema.optional(),
};
const window = duration(60_000, MAX_WINDOW_MS);
const positive = z.number().finite().nonnegative();

const thresholdKind = <K extends AlertKind, E extends z.ZodRawShape = {}>(kind: K, threshold: z.ZodNumber, extra?: E) =>
  z.strictObject({ ...common, kind: z.literal(kind), window, threshold, resolveThreshold: threshold.optional(), ...(extra as E) });

const ruleVariants = z.discriminatedUnion('kind', [
  thresholdKind('drop_rate', positive.max(1e6)),
  thresholdKind('upgrade_ratio', z.number().min(0).max(1), { minAttempts: z.number().int().min(1).max(1e6).default(1) }),
  thresholdKind('silent_deaths', z.number().int().min(0).max(1e9)),
  thresholdKind('rtt_p95', positive.max(3_600_000)),
  z.strictObject({ ...common, kind: z.literal('probe_offline'), offlineAfter: duration(30_000, 7 * MAX_WINDOW_MS) }),
  z.strictObject({ ...common, kind: z.literal('signature'), window, tolerance: duration(0, 600_000).default(1000), minCount: z.number().int().min(1).max(1e6).default(3) }),
]);

/** The body of POST /api/v1/alert-rules and PUT /api/v1/alert-rules/:id, parsed into a spec. */
export const alertRuleInputSchema = ruleVariants
  .superRefine((r, ctx) => {
    if ('resolveThreshold' in r && r.resolveThreshold !== undefined) {
      const wrongSide = r.kind === 'upgrade_ratio' ? r.resolveThreshold < r.threshold : r.resolveThreshold > r.threshold;
      if (wrongSide) {
        ctx.addIssue({ code: 'custom', path: ['resolveThreshold'], message: `expected a value on the clear side of the threshold (${r.kind === 'upgrade_ratio' ? 'at least' : 'at most'} ${r.threshold})` });
      }
    }
    // rtt_minutes has no profile column; the analysis is scoped by probe, proxy and target only.
    if (r.kind === 'rtt_p95' && (r.scope.profile || r.groupBy.includes('profile'))) {
      ctx.addIssue({ code: 'custom', path: r.scope.profile ? ['scope', 'profile'] : ['groupBy'], message: 'RTT is kept per target, proxy and probe, not per profile' });
    }
    if (r.kind === 'signature') {
      if (r.scope.label || r.scope.profile) ctx.addIssue({ code: 'custom', path: ['scope', r.scope.label ? 'label' : 'profile'], message: 'a signature rule is scoped by target, proxy or probe' });
      if (r.groupBy.length > 0) ctx.addIssue({ code: 'custom', path: ['groupBy'], message: 'a signature rule makes one alert per signature; leave groupBy empty' });
    }
    if (r.kind === 'probe_offline' && r.groupBy.some((g) => g !== 'probe')) {
      ctx.addIssue({ code: 'custom', path: ['groupBy'], message: 'a probe_offline rule makes one alert per probe; group by probe or nothing' });
    }
    if (r.quorum) quorumIssues(r, r.quorum, ctx);
  })
  .transform((r): AlertRuleSpec => {
    const base = { name: r.name, kind: r.kind, severity: r.severity, enabled: r.enabled, forMs: r.for, resolveAfterMs: r.resolveAfter, scope: r.scope, groupBy: r.groupBy, webhooks: r.webhooks };
    // Stored only when set, so a rule without one reads the same as rows written before quorums.
    const quorum = r.quorum ? { quorum: { min: r.quorum.min, by: r.quorum.by } } : {};
    switch (r.kind) {
      case 'probe_offline':
        // With a quorum the probes are the units counted, and the alert is one for the fleet.
        return { ...base, groupBy: r.quorum ? [] : ['probe'], condition: { threshold: r.offlineAfter, resolveThreshold: null, windowMs: null, minCount: 1, ...quorum } };
      case 'signature':
        return { ...base, condition: { threshold: r.tolerance, resolveThreshold: null, windowMs: r.window, minCount: r.minCount } };
      default:
        return {
          ...base,
          condition: { threshold: r.threshold, resolveThreshold: r.resolveThreshold ?? null, windowMs: r.window, minCount: r.kind === 'upgrade_ratio' ? r.minAttempts : 1, ...quorum },
        };
    }
  });

/**
 * A quorum counts probes (or their label values) inside each alert's label set, so it
 * cannot be combined with what would leave one probe per label set.
 */
function quorumIssues(r: { kind: AlertKind; scope: RuleScope; groupBy: GroupDimension[] }, q: Quorum, ctx: z.RefinementCtx): void {
  if (r.kind === 'signature') {
    // The drop analysis finds signatures across the whole scope, not per probe.
    ctx.addIssue({ code: 'custom', path: ['quorum'], message: 'a signature rule cannot have a quorum: its analysis is not per probe' });
    return;
  }
  if (r.groupBy.includes('probe')) {
    ctx.addIssue({ code: 'custom', path: ['groupBy'], message: 'a rule with a quorum counts probes inside each alert; do not also group by probe' });
  }
  if (r.scope.probe && q.min > 1) {
    ctx.addIssue({ code: 'custom', path: ['scope', 'probe'], message: `a rule scoped to one probe cannot see ${q.min} probes agree; drop scope.probe or set quorum.min to 1` });
  }
  const key = q.by.startsWith('label:') ? q.by.slice('label:'.length) : null;
  if (key !== null && q.min > 1 && r.scope.label?.split('=', 1)[0] === key) {
    ctx.addIssue({ code: 'custom', path: ['quorum', 'by'], message: `scope.label fixes ${key} to one value, so ${q.min} distinct values cannot agree` });
  }
}

export type AlertRuleInput = z.input<typeof alertRuleInputSchema>;

/** The wire form of a stored spec: what GET answers and PUT accepts back unchanged. */
export function ruleToWire(spec: AlertRuleSpec): Record<string, unknown> {
  const c = spec.condition;
  const base = {
    name: spec.name,
    kind: spec.kind,
    severity: spec.severity,
    enabled: spec.enabled,
    for: formatDuration(spec.forMs),
    resolveAfter: formatDuration(spec.resolveAfterMs),
    scope: spec.scope,
    groupBy: spec.groupBy,
    webhooks: spec.webhooks,
    ...(c.quorum && { quorum: { min: c.quorum.min, by: c.quorum.by } }),
  };
  switch (spec.kind) {
    case 'probe_offline':
      return { ...base, offlineAfter: formatDuration(c.threshold) };
    case 'signature':
      return { ...base, window: formatDuration(c.windowMs ?? 0), tolerance: formatDuration(c.threshold), minCount: c.minCount };
    default:
      return {
        ...base,
        window: formatDuration(c.windowMs ?? 0),
        threshold: c.threshold,
        ...(c.resolveThreshold !== null && { resolveThreshold: c.resolveThreshold }),
        ...(spec.kind === 'upgrade_ratio' && { minAttempts: c.minCount }),
      };
  }
}
