/**
 * The dashboard's scope, kept in the URL so a link reproduces the view: a time range
 * (a preset such as `24h`, or `from`/`to`), and filters by probe, label, proxy, target and
 * profile. Every page and every dashboard endpoint parses its query string with
 * {@link dashboardScopeSchema}; unknown parameters are refused, not ignored.
 */
import { z } from 'zod';
import { parseWindow } from '../overview/overview';

export const RANGE_PRESETS = ['15m', '1h', '6h', '24h', '7d', '30d'] as const;
export const DEFAULT_RANGE = '24h';

const name = z.string().min(1).max(128);

export const dashboardScopeSchema = z
  .strictObject({
    range: z.enum(RANGE_PRESETS).optional(),
    from: z.iso.datetime({ offset: true }).optional(),
    to: z.iso.datetime({ offset: true }).optional(),
    probe: name.optional(),
    /** `key=value`, e.g. region=eu. */
    label: z.string().regex(/^[A-Za-z_][A-Za-z0-9_]{0,63}=[^=]{1,128}$/, 'expected key=value, e.g. region=eu').optional(),
    proxy: name.optional(),
    target: name.optional(),
    profile: name.optional(),
  })
  .refine((q) => !q.from || !q.to || Date.parse(q.from) < Date.parse(q.to), { message: 'expected from before to', path: ['from'] })
  .refine((q) => !(q.range && (q.from || q.to)), { message: 'expected either range or from/to, not both', path: ['range'] });

export type DashboardQuery = z.infer<typeof dashboardScopeSchema>;

/** The resolved scope a report echoes back (ISO instants, the label as `key=value`), as browsers parse it. */
export const reportScopeSchema = z.object({
  from: z.string(),
  to: z.string(),
  probe: z.string().optional(),
  label: z.string().optional(),
  proxy: z.string().optional(),
  target: z.string().optional(),
  profile: z.string().optional(),
});

/** A resolved scope: absolute instants and the filters. */
export interface DashboardScope {
  from: Date;
  to: Date;
  probe?: string;
  label?: { key: string; value: string };
  proxy?: string;
  target?: string;
  profile?: string;
}

/** Absolute instants for a parsed query, relative to `now`. */
export function resolveScope(q: DashboardQuery, now: Date): DashboardScope {
  const to = q.to ? new Date(q.to) : now;
  const from = q.from ? new Date(q.from) : new Date(to.getTime() - parseWindow(q.range ?? DEFAULT_RANGE)!);
  const [key, value] = q.label ? (q.label.split('=', 2) as [string, string]) : [];
  return {
    from,
    to,
    ...(q.probe && { probe: q.probe }),
    ...(key && value !== undefined && { label: { key, value } }),
    ...(q.proxy && { proxy: q.proxy }),
    ...(q.target && { target: q.target }),
    ...(q.profile && { profile: q.profile }),
  };
}

/** The query string for a query, in a stable order, without empty values. */
export function scopeQueryString(q: Partial<Record<keyof DashboardQuery, string | undefined>>): string {
  const order: (keyof DashboardQuery)[] = ['range', 'from', 'to', 'probe', 'label', 'proxy', 'target', 'profile'];
  const p = new URLSearchParams();
  for (const k of order) {
    const v = q[k];
    if (v) p.set(k, v);
  }
  const s = p.toString();
  return s ? `?${s}` : '';
}

/** What the filter bar offers: the values seen in the database. */
export interface ScopeOptions {
  probes: string[];
  labels: string[];
  proxies: string[];
  targets: string[];
  profiles: string[];
}
