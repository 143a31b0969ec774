/**
 * The dashboard view an alert points at: the page that shows the measured thing, scoped
 * to the rule's filters and the alert's labels, over the smallest preset range that
 * covers the rule's window.
 */
import { RANGE_PRESETS, scopeQueryString } from '../dashboard/scope';
import { parseWindow } from '../overview/overview';
import type { AlertKind, RuleScope } from './rule';

const PAGE: Record<AlertKind, string> = {
  drop_rate: '/drops',
  silent_deaths: '/drops',
  upgrade_ratio: '/handshakes',
  rtt_p95: '/paths',
  signature: '/analysis',
  probe_offline: '/probes',
};

export function alertLink(publicUrl: string, kind: AlertKind, scope: RuleScope, labels: Record<string, string>, windowMs: number | null): string {
  const base = publicUrl.replace(/\/+$/, '');
  const filters = { ...scope, ...pick(labels, ['target', 'proxy', 'probe', 'profile']) };
  if (kind === 'probe_offline') return `${base}/probes${scopeQueryString({ probe: filters.probe, label: filters.label })}`;
  if (kind === 'signature') return `${base}/analysis${scopeQueryString({ probe: filters.probe, proxy: filters.proxy, target: filters.target })}`;
  const range = RANGE_PRESETS.find((r) => (parseWindow(r) ?? 0) >= (windowMs ?? 0)) ?? '30d';
  return `${base}${PAGE[kind]}${scopeQueryString({ range, ...filters })}`;
}

function pick(labels: Record<string, string>, keys: readonly string[]): Record<string, string> {
  return Object.fromEntries(keys.flatMap((k) => (labels[k] === undefined ? [] : [[k, labels[k]!]])));
}
