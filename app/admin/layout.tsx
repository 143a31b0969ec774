import type { ReactNode } from 'react';
import { AdminNav } from '@/components/admin/admin-nav';
import { roleAtLeast, roleOf } from '@/lib/auth/roles';
import { currentPrincipal } from '@/server/auth/current';

/**
 * The admin pages. The gate lets only admins reach /admin (lib/auth/access-policy.ts); this
 * checks again, so that a page can never render its data for anyone else by a rule's mistake.
 */
export default function AdminLayout({ children }: { children: ReactNode }) {
  const principal = currentPrincipal();
  const role = principal && roleOf(principal);
  if (!role || !roleAtLeast(role, 'admin')) {
    return (
      <p className="banner banner-error" role="alert">
        The admin pages need the admin role.
      </p>
    );
  }
  return (
    <>
      <AdminNav />
      {children}
    </>
  );
}
