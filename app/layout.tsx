import type { Metadata } from 'next';
import type { ReactNode } from 'react';
import { UserMenu } from '@/components/auth/user-menu';
import { roleAtLeast, roleOf } from '@/lib/auth/roles';
import { currentPrincipal } from '@/server/auth/current';
import './globals.css';

export const metadata: Metadata = {
  title: 'dropscope',
  description: 'Which layer is killing your WebSockets, and after exactly how long.',
};

export default function RootLayout({ children }: { children: ReactNode }) {
  // The gate (server/auth/gate.ts) has resolved who is asking; null on the sign-in and setup pages.
  const principal = currentPrincipal();
  const role = principal && roleOf(principal);
  return (
    <html lang="en">
      <body>
        <a className="skip-link" href="#content">
          Skip to content
        </a>
        <header className="site-header">
          <a className="brand" href="/">
            dropscope
          </a>
          <span className="tagline">which layer drops your WebSockets, and after exactly how long</span>
          {role && (
          <nav className="site-nav" aria-label="Pages">
            <a href="/">Overview</a>
            <a href="/drops">Drops</a>
            <a href="/paths">Paths</a>
            <a href="/handshakes">Handshakes</a>
            <a href="/probes">Probes</a>
            <a href="/fleet">Fleet</a>
            <a href="/analysis">Analysis</a>
            <a href="/alerts">Alerts</a>
            {roleAtLeast(role, 'admin') && <a href="/admin">Admin</a>}
          </nav>
          )}
          {principal && role && <UserMenu name={principal.kind === 'user' ? principal.email : principal.name} role={role} />}
        </header>
        <main className="site-main" id="content" tabIndex={-1}>{children}</main>
      </body>
    </html>
  );
}
