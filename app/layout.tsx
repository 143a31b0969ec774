import type { Metadata } from 'next';
import type { ReactNode } from 'react';
import './globals.css';

export const metadata: Metadata = {
  title: 'dropscope',
  description: 'Which layer is killing your WebSockets, and after exactly how long.',
};

export default function RootLayout({ children }: { children: ReactNode }) {
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
          <nav className="site-nav" aria-label="Pages">
            <a href="/">Overview</a>
            <a href="/drops">Drops</a>
            <a href="/paths">Paths</a>
            <a href="/handshakes">Handshakes</a>
            <a href="/probes">Probes</a>
            <a href="/analysis">Analysis</a>
            <a href="/alerts">Alerts</a>
          </nav>
        </header>
        <main className="site-main" id="content" tabIndex={-1}>{children}</main>
      </body>
    </html>
  );
}
