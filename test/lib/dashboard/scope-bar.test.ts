/**
 * The scope bar's markup (components/dashboard/scope-bar.tsx), rendered as the server renders
 * it for a URL: the active filter is always shown, the fitted default range is pressed, the
 * zone switch and the range moves are there. Clicks are the browser test's (test/browser/scope.test.ts).
 */
import { createElement } from 'react';
import { renderToStaticMarkup } from 'react-dom/server';
import { AppRouterContext } from 'next/dist/shared/lib/app-router-context.shared-runtime';
import { PathnameContext, SearchParamsContext } from 'next/dist/shared/lib/hooks-client-context.shared-runtime';
import { describe, expect, it } from 'vitest';
import { ScopeBar } from '../../../components/dashboard/scope-bar';
import type { ScopeOptions } from '../../../lib/dashboard/scope';

const OPTIONS: ScopeOptions = { probes: ['edge-1'], labels: ['region=eu'], proxies: ['direct', 'squid'], targets: ['canary'], profiles: ['idle'] };
const router = { push: () => {}, replace: () => {}, refresh: () => {}, back: () => {}, forward: () => {}, prefetch: () => {} };

function render(query: string, options: ScopeOptions = OPTIONS): string {
  const bar = createElement(ScopeBar, { options });
  const withParams = createElement(SearchParamsContext.Provider, { value: new URLSearchParams(query) }, bar);
  const withPath = createElement(PathnameContext.Provider, { value: '/paths' }, withParams);
  return renderToStaticMarkup(createElement(AppRouterContext.Provider, { value: router as never }, withPath));
}

const selected = (html: string, name: string) => /<option[^>]*selected=""[^>]*>([^<]*)<\/option>/.exec(html.slice(html.indexOf(`name="${name}"`)))?.[1];
const pressed = (html: string, group: string) => {
  const start = html.indexOf(`aria-label="${group}"`);
  const end = html.indexOf('role="group"', start);
  const part = html.slice(start, end === -1 ? undefined : end);
  return /<button[^>]*aria-pressed="true"[^>]*>([^<]*)<\/button>/.exec(part)?.[1];
};

describe('the scope bar', () => {
  it('shows an active filter the data does not have, selected and marked (no data)', () => {
    const html = render('proxy=doesnotexist');
    expect(selected(html, 'proxy')).toBe('doesnotexist (no data)');
    expect(html).toContain('data-no-data="true"');
    // The other filters still say "all".
    expect(selected(html, 'probe')).toBe('all probes');
  });

  it('selects a known active value as itself', () => {
    const html = render('proxy=squid');
    expect(selected(html, 'proxy')).toBe('squid');
    expect(html).not.toContain('(no data)');
  });

  it('presses the URL’s range, else the fitted default, else 24h', () => {
    expect(pressed(render('range=6h'), 'Time range')).toBe('6h');
    expect(pressed(render('', { ...OPTIONS, defaultRange: '15m' }), 'Time range')).toBe('15m');
    expect(pressed(render(''), 'Time range')).toBe('24h');
    expect(render('', { ...OPTIONS, defaultRange: '1h' })).toContain('data-range="1h"');
  });

  it('offers the zone switch, pressed as the URL says', () => {
    expect(pressed(render(''), 'Time zone')).toBe('UTC');
    expect(pressed(render('tz=local'), 'Time zone')).toBe('local');
    expect(render('tz=local')).toContain('data-tz="local"');
  });

  it('shows a custom range with its instants', () => {
    const html = render('from=2026-11-22T10:00:00Z&to=2026-11-22T11:00:00Z');
    expect(pressed(html, 'Time range')).toBeUndefined();
    expect(html).toContain('data-testid="custom-range"');
    expect(html).toContain('2026-11-22 10:00:00');
    // One date: the end is written as a time of day only.
    const end = /data-testid="custom-range"[^>]*>(.*?)<\/span>/.exec(html)?.[1]?.replace(/<[^>]+>/g, '');
    expect(end).toBe('2026-11-22 10:00:00 → 11:00:00 UTC');
    const across = /data-testid="custom-range"[^>]*>(.*?)<\/span>/.exec(render('from=2026-11-22T23:00:00Z&to=2026-11-23T01:00:00Z'))?.[1]?.replace(/<[^>]+>/g, '');
    expect(across).toBe('2026-11-22 23:00:00 → 2026-11-23 01:00:00 UTC');
  });

  it('offers earlier, zoom in, zoom out and later on every range; later only when the range ends before now', () => {
    const moves = (query: string) => {
      const group = /<div[^>]*aria-label="Move the time range"[^>]*>(.*?)<\/div>/.exec(render(query))?.[1] ?? '';
      return [...group.matchAll(/<button([^>]*)>/g)].map((m) => `${/aria-label="([^"]+)"/.exec(m[1]!)?.[1]}${/ disabled=""/.test(m[1]!) ? ' (disabled)' : ''}`);
    };
    expect(moves('from=2026-11-22T10:00:00Z&to=2026-11-22T11:00:00Z')).toEqual(['Earlier', 'Zoom in', 'Zoom out', 'Later']);
    expect(moves('range=1h')).toEqual(['Earlier', 'Zoom in', 'Zoom out', 'Later (disabled)']);
    expect(moves('from=2026-11-22T10:00:00Z')).toEqual(['Earlier', 'Zoom in', 'Zoom out', 'Later (disabled)']);
  });
});
