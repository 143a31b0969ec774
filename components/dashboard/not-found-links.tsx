'use client';
/**
 * The 404 page's ways back (app/not-found.tsx): the page the person likely wanted, found
 * from the path they asked for (site-pages.ts likelyPage), and the overview. The path is
 * read in the browser once mounted: Next gives a not-found page no props, and the server's
 * HTML (which may have been rendered for another path) must match the first render.
 */
import { useSyncExternalStore } from 'react';
import { likelyPage, SITE_PAGES } from './site-pages';

const subscribe = () => () => {};

export function NotFoundLinks({ admin }: { admin: boolean }) {
  const pathname = useSyncExternalStore(subscribe, () => window.location.pathname, () => null);
  const pages = SITE_PAGES.filter((p) => admin || !p.admin);
  const likely = pathname === null ? null : likelyPage(pathname, pages);
  return (
    <>
      <p>
        Nothing lives at {pathname === null ? 'this address' : <span className="not-found-path">{pathname}</span>}.
        {likely && likely.href !== '/' && (
          <>
            {' '}
            Were you looking for <a href={likely.href}>{likely.title}</a>?
          </>
        )}
      </p>
      <ul className="not-found-links">
        {likely && likely.href !== '/' && (
          <li>
            <a href={likely.href} data-primary="true" data-testid="not-found-likely">
              {likely.title}
            </a>
          </li>
        )}
        <li>
          <a href="/" data-primary={likely && likely.href !== '/' ? undefined : 'true'}>
            Overview
          </a>
        </li>
        {pages
          .filter((p) => p.href !== '/' && p.href !== likely?.href)
          .map((p) => (
            <li key={p.href}>
              <a href={p.href}>{p.title}</a>
            </li>
          ))}
      </ul>
    </>
  );
}
