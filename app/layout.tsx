import type { Metadata } from 'next';
import { Suspense, type ReactNode } from 'react';
import { UserMenu } from '@/components/auth/user-menu';
import { SiteNav } from '@/components/dashboard/site-nav';
import { HydrationMark } from '@/components/forms/hydration';
import { roleAtLeast, roleOf } from '@/lib/auth/roles';
import { currentPrincipal } from '@/server/auth/current';
import './globals.css';

export const metadata: Metadata = {
  // Pages name themselves (`export const metadata = { title: 'Drops' }`): "Drops · dropscope".
  title: { default: 'dropscope', template: '%s · dropscope' },
  description: 'Which layer is killing your WebSockets, and after exactly how long.',
};

export default function RootLayout({ children }: { children: ReactNode }) {
  // The gate (server/auth/gate.ts) has resolved who is asking; null on the sign-in and setup pages.
  const principal = currentPrincipal();
  const role = principal && roleOf(principal);
  return (
    <html lang="en">
      <body>
        <HydrationMark />
        <a className="skip-link" href="#content">
          Skip to content
        </a>
        <header className="site-header">
          <a className="brand" href="/">
            dropscope
          </a>
          <span className="tagline">which layer drops your WebSockets, and after exactly how long</span>
          {role && (
            // useSearchParams: a prerendered page (not-found) needs the boundary to build.
            <Suspense fallback={null}>
              <SiteNav admin={roleAtLeast(role, 'admin')} />
            </Suspense>
          )}
          {principal && role && <UserMenu name={principal.kind === 'user' ? principal.email : principal.name} role={role} />}
        </header>
        <main className="site-main" id="content" tabIndex={-1}>{children}</main>
      </body>
    </html>
  );
}
