'use client';
/** The admin pages' own links, the current one marked for assistive technology too. */
import { usePathname } from 'next/navigation';
import css from './admin.module.css';
import { ADMIN_PAGES } from './pages';

export function AdminNav() {
  const pathname = usePathname();
  return (
    <nav className={css.subnav} aria-label="Admin pages">
      <a href="/admin" aria-current={pathname === '/admin' ? 'page' : undefined}>
        Admin
      </a>
      {ADMIN_PAGES.map((p) => (
        <a key={p.href} href={p.href} aria-current={pathname === p.href ? 'page' : undefined}>
          {p.title}
        </a>
      ))}
      <a href="/probes">Probes</a>
    </nav>
  );
}
