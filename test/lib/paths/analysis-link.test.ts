import { describe, expect, it } from 'vitest';
import { dashboardScopeSchema } from '../../../lib/dashboard/scope';
import { analysisHref } from '../../../lib/paths/analysis-link';

const params = (href: string) => Object.fromEntries(new URL(href, 'http://127.0.0.1').searchParams);

describe('the path page\'s link to the analysis', () => {
  it('keeps the page\'s range and filters, names this path, and carries the time zone', () => {
    const href = analysisHref('?range=6h&probe=edge-1&label=region%3Deu&profile=idle', { target: 'chat', proxy: 'corp squid' }, 'local');
    expect(href.startsWith('/analysis?')).toBe(true);
    expect(params(href)).toEqual({ range: '6h', probe: 'edge-1', label: 'region=eu', profile: 'idle', target: 'chat', proxy: 'corp squid', tz: 'local' });
    expect(dashboardScopeSchema.safeParse(params(href)).success).toBe(true);
  });

  it('keeps a custom range; the path overrides a target or proxy filter; UTC is the default and left out', () => {
    const href = analysisHref('from=2026-11-20T10:00:00Z&to=2026-11-20T12:00:00Z&target=api&proxy=direct&bin=1s', { target: 'chat', proxy: 'squid' }, 'utc');
    expect(params(href)).toEqual({ from: '2026-11-20T10:00:00Z', to: '2026-11-20T12:00:00Z', target: 'chat', proxy: 'squid' });
  });

  it('without a query, names the path only', () => {
    expect(analysisHref('', { target: 'chat', proxy: 'direct' }, 'utc')).toBe('/analysis?proxy=direct&target=chat');
  });
});
