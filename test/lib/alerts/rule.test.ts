/** The rule contract: every kind parses to a spec and back; bad bodies name the field. */
import { describe, expect, it } from 'vitest';
import { fieldIssues } from '../../../lib/http/problem';
import { alertRuleInputSchema, ruleToWire } from '../../../lib/alerts/rule';
import { judge } from '../../../lib/alerts/verdict';
import { formatDuration, parseDuration } from '../../../lib/alerts/duration';

const base = { name: 'r', severity: 'warning' };

describe('alert rule contract', () => {
  it.each([
    { ...base, kind: 'drop_rate', window: '5m', threshold: 2, resolveThreshold: 1, for: '1m', resolveAfter: '2m', scope: { target: 'builtin', label: 'region=eu' }, groupBy: ['proxy'], webhooks: [1], enabled: true },
    { ...base, kind: 'upgrade_ratio', window: '15m', threshold: 0.9, minAttempts: 5, for: '0s', resolveAfter: '0s', scope: {}, groupBy: [], webhooks: [], enabled: true },
    { ...base, kind: 'silent_deaths', window: '1h', threshold: 3, for: '0s', resolveAfter: '0s', scope: {}, groupBy: ['probe', 'target'], webhooks: [], enabled: false },
    { ...base, kind: 'rtt_p95', window: '10m', threshold: 250, for: '0s', resolveAfter: '0s', scope: { proxy: 'squid' }, groupBy: [], webhooks: [], enabled: true },
    { ...base, kind: 'probe_offline', offlineAfter: '5m', for: '0s', resolveAfter: '0s', scope: {}, groupBy: ['probe'], webhooks: [], enabled: true },
    { ...base, kind: 'signature', window: '1h', tolerance: '2s', minCount: 3, for: '0s', resolveAfter: '0s', scope: { proxy: 'p' }, groupBy: [], webhooks: [], enabled: true },
    { ...base, kind: 'drop_rate', window: '5m', threshold: 1, for: '1m', resolveAfter: '0s', scope: {}, groupBy: ['proxy'], webhooks: [], enabled: true, quorum: { min: 2, by: 'probe' } },
    { ...base, kind: 'upgrade_ratio', window: '5m', threshold: 0.9, minAttempts: 3, for: '0s', resolveAfter: '0s', scope: { label: 'tier=edge' }, groupBy: [], webhooks: [], enabled: true, quorum: { min: 3, by: 'label:region' } },
    { ...base, kind: 'rtt_p95', window: '5m', threshold: 300, for: '0s', resolveAfter: '0s', scope: {}, groupBy: [], webhooks: [], enabled: true, quorum: { min: 1, by: 'probe' } },
    { ...base, kind: 'probe_offline', offlineAfter: '5m', for: '0s', resolveAfter: '0s', scope: {}, groupBy: [], webhooks: [], enabled: true, quorum: { min: 2, by: 'label:region' } },
  ])('round-trips a $kind rule', (wire) => {
    const spec = alertRuleInputSchema.parse(wire);
    expect(ruleToWire(spec)).toEqual(wire);
  });

  it('stores a quorum in the condition, counts probes by default, and makes probe_offline one alert for the fleet', () => {
    const drops = alertRuleInputSchema.parse({ ...base, kind: 'drop_rate', window: '5m', threshold: 1, quorum: { min: 2 } });
    expect(drops.condition.quorum).toEqual({ min: 2, by: 'probe' });
    const offline = alertRuleInputSchema.parse({ ...base, kind: 'probe_offline', offlineAfter: '5m', quorum: { min: 3, by: 'label:region' } });
    expect(offline).toMatchObject({ groupBy: [], condition: { quorum: { min: 3, by: 'label:region' } } });
    // Without one the condition has no quorum field, like every row stored before quorums.
    expect(alertRuleInputSchema.parse({ ...base, kind: 'drop_rate', window: '5m', threshold: 1 }).condition).not.toHaveProperty('quorum');
    expect(ruleToWire({ ...drops, condition: { ...drops.condition, quorum: null } })).not.toHaveProperty('quorum');
  });

  it('fills defaults', () => {
    const spec = alertRuleInputSchema.parse({ ...base, kind: 'drop_rate', window: '5m', threshold: 1 });
    expect(spec).toMatchObject({ enabled: true, forMs: 0, resolveAfterMs: 0, scope: {}, groupBy: [], webhooks: [], condition: { threshold: 1, resolveThreshold: null, windowMs: 300_000, minCount: 1 } });
  });

  it.each([
    [{ ...base, kind: 'drop_rate', window: '5m' }, 'threshold'],
    [{ ...base, kind: 'drop_rate', window: 'soon', threshold: 1 }, 'window'],
    [{ ...base, kind: 'drop_rate', window: '10s', threshold: 1 }, 'window'],
    [{ ...base, kind: 'drop_rate', window: '5m', threshold: -1 }, 'threshold'],
    [{ ...base, kind: 'drop_rate', window: '5m', threshold: 1, resolveThreshold: 2 }, 'resolveThreshold'],
    [{ ...base, kind: 'upgrade_ratio', window: '5m', threshold: 1.5 }, 'threshold'],
    [{ ...base, kind: 'upgrade_ratio', window: '5m', threshold: 0.9, resolveThreshold: 0.5 }, 'resolveThreshold'],
    [{ ...base, kind: 'drop_rate', window: '5m', threshold: 1, for: '2 minutes' }, 'for'],
    [{ ...base, kind: 'drop_rate', window: '5m', threshold: 1, groupBy: ['path'] }, 'groupBy.0'],
    [{ ...base, kind: 'drop_rate', window: '5m', threshold: 1, scope: { label: 'eu' } }, 'scope.label'],
    [{ ...base, kind: 'drop_rate', window: '5m', threshold: 1, webhooks: ['x'] }, 'webhooks.0'],
    [{ ...base, kind: 'drop_rate', window: '5m', threshold: 1, colour: 'red' }, '(root)'],
    [{ ...base, kind: 'rtt_p95', window: '5m', threshold: 1, groupBy: ['profile'] }, 'groupBy'],
    [{ ...base, kind: 'signature', window: '1h', groupBy: ['proxy'] }, 'groupBy'],
    [{ ...base, kind: 'probe_offline', offlineAfter: '1s' }, 'offlineAfter'],
    [{ ...base, kind: 'nonsense' }, 'kind'],
    [{ kind: 'drop_rate', window: '5m', threshold: 1, severity: 'warning' }, 'name'],
    [{ ...base, severity: 'page', kind: 'drop_rate', window: '5m', threshold: 1 }, 'severity'],
    [{ ...base, kind: 'signature', window: '1h', quorum: { min: 2, by: 'probe' } }, 'quorum'],
    [{ ...base, kind: 'drop_rate', window: '5m', threshold: 1, groupBy: ['probe'], quorum: { min: 2 } }, 'groupBy'],
    [{ ...base, kind: 'probe_offline', offlineAfter: '5m', groupBy: ['probe'], quorum: { min: 2 } }, 'groupBy'],
    [{ ...base, kind: 'drop_rate', window: '5m', threshold: 1, scope: { probe: 'edge-1' }, quorum: { min: 2 } }, 'scope.probe'],
    [{ ...base, kind: 'drop_rate', window: '5m', threshold: 1, scope: { label: 'region=eu' }, quorum: { min: 2, by: 'label:region' } }, 'quorum.by'],
    [{ ...base, kind: 'drop_rate', window: '5m', threshold: 1, quorum: { min: 0 } }, 'quorum.min'],
    [{ ...base, kind: 'drop_rate', window: '5m', threshold: 1, quorum: { min: 101 } }, 'quorum.min'],
    [{ ...base, kind: 'drop_rate', window: '5m', threshold: 1, quorum: { min: 1.5 } }, 'quorum.min'],
    [{ ...base, kind: 'drop_rate', window: '5m', threshold: 1, quorum: { min: 2, by: 'region' } }, 'quorum.by'],
    [{ ...base, kind: 'drop_rate', window: '5m', threshold: 1, quorum: { min: 2, by: 'label:bad key' } }, 'quorum.by'],
    [{ ...base, kind: 'drop_rate', window: '5m', threshold: 1, quorum: { min: 2, of: 'probes' } }, 'quorum'],
  ])('refuses %j naming %s', (body, field) => {
    const r = alertRuleInputSchema.safeParse(body);
    expect(r.success).toBe(false);
    expect(fieldIssues(r.error!).map((i) => i.path)).toContain(field);
  });

  it('allows a quorum of 1 on a rule scoped to one probe (each probe judged on its own)', () => {
    expect(alertRuleInputSchema.safeParse({ ...base, kind: 'drop_rate', window: '5m', threshold: 1, scope: { probe: 'edge-1' }, quorum: { min: 1 } }).success).toBe(true);
  });

  it('judges above-threshold kinds and the upgrade ratio (below) with a hysteresis band', () => {
    const c = { threshold: 2, resolveThreshold: 1, windowMs: 60_000, minCount: 1 };
    expect([3, 2, 1.5, 1, null].map((v) => judge('drop_rate', c, v))).toEqual(['breach', 'hold', 'hold', 'clear', 'clear']);
    const r = { threshold: 0.9, resolveThreshold: 0.95, windowMs: 60_000, minCount: 1 };
    expect([0.5, 0.9, 0.93, 0.95, 1].map((v) => judge('upgrade_ratio', r, v))).toEqual(['breach', 'hold', 'hold', 'clear', 'clear']);
  });

  it('spells durations the shortest exact way', () => {
    expect(['90s', '2m', '250ms', '1d', '0s'].map((d) => formatDuration(parseDuration(d)!))).toEqual(['90s', '2m', '250ms', '1d', '0s']);
    expect(formatDuration(120_000)).toBe('2m');
    expect(parseDuration('5 min')).toBeNull();
  });
});
