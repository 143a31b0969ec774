'use client';
/**
 * The header's links, the current page marked (`aria-current="page"`, styled in
 * app/globals.css) so a person and a screen reader both know where they are. The page is
 * found from the URL path (site-pages.ts): a path page is in Paths, an admin page in Admin.
 */
import { usePathname, useSearchParams } from 'next/navigation';
import { activePage, SITE_PAGES } from './site-pages';

export function SiteNav({ admin }: { admin: boolean }) {
  const pages = SITE_PAGES.filter((p) => admin || !p.admin);
  const current = activePage(usePathname() ?? '/', pages);
  // The time zone chosen travels with the links (lib/dashboard/time.ts).
  const tz = useSearchParams().get('tz') === 'local' ? '?tz=local' : '';
  return (
    <nav className="site-nav" aria-label="Pages">
      {pages.map((p) => (
        <a key={p.href} href={`${p.href}${tz}`} aria-current={p === current ? 'page' : undefined}>
          {p.title}
        </a>
      ))}
    </nav>
  );
}
