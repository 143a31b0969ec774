import type { Metadata } from 'next';
import css from '@/components/admin/admin.module.css';
import { TokensPanel } from '@/components/admin/tokens-panel';
import { getDatabase } from '@/db/client';
import { listApiTokens } from '@/db/queries/api-tokens';
import { withDatabasePage } from '@/app/database-page';

export const dynamic = 'force-dynamic';
export const metadata: Metadata = { title: 'API tokens' };

export default withDatabasePage(async function TokensPage() {
  const tokens = await listApiTokens(getDatabase().db);
  const iso = (d: Date | null) => d?.toISOString() ?? null;
  return (
    <div className={css.page} data-testid="tokens-page">
      <h1>API tokens</h1>
      <TokensPanel
        now={new Date().toISOString()}
        tokens={tokens.map((t) => ({ id: t.id, name: t.name, role: t.role, createdAt: t.createdAt.toISOString(), expiresAt: iso(t.expiresAt), revokedAt: iso(t.revokedAt), lastUsedAt: iso(t.lastUsedAt) }))}
      />
    </div>
  );
});
