import type { Metadata } from 'next';
import type { ReactNode } from 'react';
import css from '@/components/admin/admin.module.css';
import { Instant } from '@/components/dashboard/time-zone';
import { ZoneName } from '@/components/dashboard/zone-name';
import { ADMIN_PAGES } from '@/components/admin/pages';
import { getDatabase } from '@/db/client';
import { listApiTokens } from '@/db/queries/api-tokens';
import { listAudit } from '@/db/queries/audit';
import { listUsers } from '@/db/queries/users';
import { withDatabasePage } from '@/app/database-page';

export const dynamic = 'force-dynamic';
export const metadata: Metadata = { title: 'Admin' };

export default withDatabasePage(async function AdminPage() {
  const db = getDatabase().db;
  const now = new Date();
  const users = await listUsers(db);
  const tokens = await listApiTokens(db);
  const [latest] = await listAudit(db, { limit: 1 });
  const active = tokens.filter((t) => !t.revokedAt && (!t.expiresAt || t.expiresAt > now)).length;
  const facts: Record<string, ReactNode> = {
    '/admin/users': `${users.length} ${users.length === 1 ? 'person' : 'people'}, ${users.filter((u) => u.role === 'admin').length} admin`,
    '/admin/tokens': `${active} active`,
    '/admin/audit': latest ? (
      <>
        latest: {latest.action} by {latest.actorName}, <Instant at={latest.at.toISOString()} /> <ZoneName />
      </>
    ) : (
      'nothing written yet'
    ),
  };
  return (
    <div className={css.page} data-testid="admin-page">
      <h1>Admin</h1>
      <ul className={css.links}>
        {ADMIN_PAGES.map((p) => (
          <li key={p.href}>
            <a href={p.href}>
              <strong>{p.title}</strong>
              <span>{p.blurb}</span>
              <span className={css.sub}>{facts[p.href]}</span>
            </a>
          </li>
        ))}
        <li>
          <a href="/probes">
            <strong>Probes</strong>
            <span>Add probes and canary targets (token shown once), rotate tokens, revoke, edit labels.</span>
          </a>
        </li>
      </ul>
    </div>
  );
});
