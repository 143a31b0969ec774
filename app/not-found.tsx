/**
 * The 404 page, in the dashboard's own chrome (the root layout's header and navigation):
 * what was not found, and the ways back (components/dashboard/not-found-links.tsx). Unknown
 * /api paths never come here: app/api/[[...unknown]]/route.ts answers them with JSON.
 */
import type { Metadata } from 'next';
import { connection } from 'next/server';
import { NotFoundLinks } from '@/components/dashboard/not-found-links';
import { roleAtLeast, roleOf } from '@/lib/auth/roles';
import { currentPrincipal } from '@/server/auth/current';

export const metadata: Metadata = { title: 'Not found' };

export default async function NotFound() {
  // Rendered per request, never prerendered at build: the header shows the caller's own
  // navigation (the root layout reads the request's principal).
  await connection();
  const principal = currentPrincipal();
  const role = principal && roleOf(principal);
  return (
    <section className="not-found card" data-testid="not-found" aria-labelledby="not-found-title">
      <p className="not-found-code" aria-hidden="true">
        404
      </p>
      <h1 id="not-found-title">This page does not exist</h1>
      <NotFoundLinks admin={!!role && roleAtLeast(role, 'admin')} />
    </section>
  );
}
