/** The navigation's current page and the 404 page's likely page (components/dashboard/site-pages.ts). */
import { describe, expect, it } from 'vitest';
import { activePage, likelyPage, SITE_PAGES } from '../../components/dashboard/site-pages';
import { appRoutes } from '../helpers/routes';

const href = (p: { href: string } | null) => p?.href ?? null;

describe('activePage', () => {
  it.each([
    ['/', '/'],
    ['/?range=24h', '/'],
    ['/drops', '/drops'],
    ['/drops?range=1h&tz=local', '/drops'],
    ['/paths', '/paths'],
    ['/paths/builtin~direct', '/paths'],
    ['/paths/a%20b~c/', '/paths'],
    ['/admin', '/admin'],
    ['/admin/users', '/admin'],
    ['/alerts#history', '/alerts'],
    ['/ALERTS', '/alerts'],
  ])('marks %s as %s', (path, want) => {
    expect(href(activePage(path))).toBe(want);
  });

  it.each(['/sign-in', '/setup', '/pathsx', '/dropsy/1', '/nothing'])('marks nothing on %s', (path) => {
    expect(activePage(path)).toBeNull();
  });

  it('marks exactly one page for every page the app serves that the navigation lists', () => {
    const pages = appRoutes().filter((r) => r.page && !['/sign-in', '/setup'].includes(r.pattern));
    for (const p of pages) {
      const got = activePage(p.pattern.replace(/\[[^\]]+\]/g, 'x'));
      expect(got, p.pattern).not.toBeNull();
      expect(SITE_PAGES.filter((s) => s === got)).toHaveLength(1);
    }
  });

  it('marks nothing when the page is not offered (Admin for a viewer)', () => {
    expect(activePage('/admin/users', SITE_PAGES.filter((p) => !p.admin))).toBeNull();
  });
});

describe('likelyPage', () => {
  it.each([
    ['/paths/nothing~here', '/paths'],
    ['/drop', '/drops'],
    ['/handshake', '/handshakes'],
    ['/handshake/x/y', '/handshakes'],
    ['/Alerts', '/alerts'],
    ['/alert', '/alerts'],
    ['/analysys', '/analysis'],
    ['/probe', '/probes'],
    ['/flet', '/fleet'],
    ['/admin/nothing', '/admin'],
  ])('takes %s for %s', (path, want) => {
    expect(href(likelyPage(path))).toBe(want);
  });

  it.each(['/', '/x', '/completely-else', '/metrics-dashboard', '/sign'])('offers nothing particular for %s', (path) => {
    expect(likelyPage(path)).toBeNull();
  });

  it('never offers a page the person cannot see', () => {
    expect(likelyPage('/admn', SITE_PAGES.filter((p) => !p.admin))).toBeNull();
    expect(href(likelyPage('/admn'))).toBe('/admin');
  });
});
