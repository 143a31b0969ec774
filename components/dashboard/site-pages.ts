/**
 * The site's pages as the header names them, and two questions asked of a URL path: which
 * page of the navigation is the current one (marked `aria-current="page"` by site-nav.tsx),
 * and, for a path that is no page (app/not-found.tsx), which page the person likely wanted.
 * Pure, so both are tested without a browser (test/app/site-pages.test.ts).
 */
export interface SitePage {
  href: string;
  title: string;
  /** Only admins see it in the navigation (the gate refuses the page to others anyway). */
  admin?: boolean;
}

export const SITE_PAGES: readonly SitePage[] = [
  { href: '/', title: 'Overview' },
  { href: '/drops', title: 'Drops' },
  { href: '/paths', title: 'Paths' },
  { href: '/handshakes', title: 'Handshakes' },
  { href: '/probes', title: 'Probes' },
  { href: '/fleet', title: 'Fleet' },
  { href: '/analysis', title: 'Analysis' },
  { href: '/alerts', title: 'Alerts' },
  { href: '/admin', title: 'Admin', admin: true },
];

function segments(pathname: string): string[] {
  return pathname.split(/[?#]/, 1)[0]!.split('/').filter(Boolean);
}

/**
 * The navigation entry `pathname` belongs to: the page itself or one under it
 * (`/paths/7` is in Paths, `/admin/users` in Admin); the overview only at `/`. Null on a
 * page the navigation does not list (sign-in, setup).
 */
export function activePage(pathname: string, pages: readonly SitePage[] = SITE_PAGES): SitePage | null {
  const have = segments(pathname);
  if (have.length === 0) return pages.find((p) => p.href === '/') ?? null;
  return pages.find((p) => p.href !== '/' && segments(p.href)[0] === have[0]!.toLowerCase()) ?? null;
}

/** Levenshtein distance, bounded by the words' lengths (both are short page names). */
function distance(a: string, b: string): number {
  let prev = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const row = [i];
    for (let j = 1; j <= b.length; j++) {
      row[j] = Math.min(prev[j]! + 1, row[j - 1]! + 1, prev[j - 1]! + (a[i - 1] === b[j - 1] ? 0 : 1));
    }
    prev = row;
  }
  return prev[b.length]!;
}

/**
 * For a path that is no page: the page it most likely meant. The first segment names a
 * page (`/paths/999` of a path that does not exist → Paths), or is a near miss of one
 * (`/drop`, `/handshake`, `/Alerts`, `/analysys` → at most two edits away, or a plural
 * away), or the overview is the only way back offered. Never the path itself.
 */
export function likelyPage(pathname: string, pages: readonly SitePage[] = SITE_PAGES): SitePage | null {
  const first = segments(pathname)[0]?.toLowerCase();
  if (!first) return null;
  let best: { page: SitePage; d: number } | null = null;
  for (const page of pages) {
    const name = segments(page.href)[0];
    if (!name) continue;
    const d = first === name ? 0 : first === `${name}s` || `${first}s` === name ? 1 : distance(first, name);
    if (d <= 2 && (!best || d < best.d)) best = { page, d };
  }
  return best?.page ?? null;
}
