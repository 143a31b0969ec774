import type { Metadata } from 'next';
import { z } from 'zod';
import css from '@/components/admin/admin.module.css';
import { AuditTable } from '@/components/admin/audit-table';
import { IgnoredParams } from '@/components/dashboard/query-notice';
import { BadLink } from '@/components/paths/no-probes';
import { getDatabase } from '@/db/client';
import { listAudit } from '@/db/queries/audit';
import { knownQueryString, parseQuery } from '@/lib/dashboard/query-params';
import { TIME_ZONE_MODES } from '@/lib/dashboard/time';
import { describeIssues } from '@/lib/http/problem';
import { presentParams } from '@/lib/paths/query';
import { withDatabasePage } from '@/app/database-page';

export const dynamic = 'force-dynamic';
export const metadata: Metadata = { title: 'Audit log' };

const querySchema = z.strictObject({
  /** Entries older than this id (the "older" link). */
  before: z.coerce.number().int().min(1).max(Number.MAX_SAFE_INTEGER).optional(),
  limit: z.coerce.number().int().min(1).max(500).default(50),
  subject: z.string().regex(/^[a-z_]{1,40}$/, 'expected a subject kind like probe or user').optional(),
  /** The zone times are written in (lib/dashboard/time.ts); kept by the page's links. */
  tz: z.enum(TIME_ZONE_MODES).optional(),
});

export default withDatabasePage(async function AuditPage(props: { searchParams: Promise<Record<string, string | string[] | undefined>> }) {
  // Unknown parameters (a chat tool's utm_source) are set aside and named, never a "Bad link".
  const parsed = parseQuery(querySchema, presentParams(await props.searchParams));
  if (!parsed.success) return <BadLink message={describeIssues(parsed.issues)} reset={{ href: '/admin/audit', label: 'Show the newest entries' }} />;
  const { before, limit, subject, tz } = parsed.data;
  const entries = await listAudit(getDatabase().db, { limit, beforeId: before, subjectKind: subject });
  const link = (over: { before?: number }) => {
    const q = new URLSearchParams();
    if (over.before !== undefined) q.set('before', String(over.before));
    if (limit !== 50) q.set('limit', String(limit));
    if (subject) q.set('subject', subject);
    if (tz) q.set('tz', tz);
    const s = q.toString();
    return `/admin/audit${s ? `?${s}` : ''}`;
  };
  const oldest = entries.at(-1);
  return (
    <div className={css.page} data-testid="audit-page">
      <IgnoredParams ignored={parsed.ignored} cleanHref={`/admin/audit${knownQueryString(parsed.known)}`} />
      <h1>Audit log{subject ? ` · ${subject}` : ''}</h1>
      <p className={css.note}>Every write through the API, the CLI or a page, newest first. Secrets (tokens, passwords, webhook secrets) are never recorded.</p>
      {entries.length === 0 ? (
        <p className="placeholder">{before ? 'No older entries.' : 'Nothing written yet.'}</p>
      ) : (
        <AuditTable entries={entries.map((e) => ({ ...e, at: e.at.toISOString() }))} />
      )}
      <nav className={css.pager} aria-label="Audit pages">
        {before !== undefined && <a href={link({})}>Newest</a>}
        {oldest && entries.length === limit && (
          <a href={link({ before: oldest.id })} rel="next" data-testid="audit-older">
            Older
          </a>
        )}
      </nav>
    </div>
  );
});
