import type { Metadata } from 'next';
import css from '@/components/admin/admin.module.css';
import { UsersPanel } from '@/components/admin/users-panel';
import { getDatabase } from '@/db/client';
import { listUsers } from '@/db/queries/users';
import { withDatabasePage } from '@/app/database-page';
import { currentPrincipal } from '@/server/auth/current';

export const dynamic = 'force-dynamic';
export const metadata: Metadata = { title: 'People' };

export default withDatabasePage(async function UsersPage() {
  const users = await listUsers(getDatabase().db);
  const principal = currentPrincipal();
  return (
    <div className={css.page} data-testid="users-page">
      <h1>People</h1>
      <UsersPanel
        users={users.map((u) => ({ id: u.id, email: u.email, name: u.name, role: u.role, providers: u.providers, createdAt: u.createdAt.toISOString() }))}
        selfId={principal?.kind === 'user' ? principal.id : null}
      />
    </div>
  );
});
