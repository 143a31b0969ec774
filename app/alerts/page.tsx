import { AlertHistory, CurrentAlerts } from '@/components/alerts/history-table';
import css from '@/components/alerts/alerts.module.css';
import { RulesPanel } from '@/components/alerts/rules-panel';
import { SilencesPanel } from '@/components/alerts/silences-panel';
import type { RuleWire, SeenBy } from '@/components/alerts/types';
import { WebhooksPanel } from '@/components/alerts/webhooks-panel';
import { getDatabase } from '@/db/client';
import { listRules } from '@/db/queries/alert-rules';
import { alertHistory, currentAlerts } from '@/db/queries/alerts-history';
import { listSilences } from '@/db/queries/silences';
import { recentDeliveries } from '@/db/queries/webhook-outbox';
import { listWebhooks } from '@/db/queries/webhooks';
import { seenBy } from '@/lib/alerts/notification';
import { quorumOf } from '@/lib/alerts/quorum';
import { ruleToWire } from '@/lib/alerts/rule';
import { withDatabasePage } from '@/app/database-page';
import { roleAtLeast, roleOf } from '@/lib/auth/roles';
import { currentPrincipal } from '@/server/auth/current';

export const dynamic = 'force-dynamic';
export const metadata = { title: 'Alerts' };

/** Silences shown on the page: those not over, then the latest expired ones. */
const SILENCES_SHOWN = 100;

/** A quorum rule's "seen by" line, written here so the client tables need not bundle the receivers. */
function withSeen<T extends { evidence: Record<string, unknown> }>(x: T): T & { seen: SeenBy | null } {
  const q = quorumOf(x.evidence);
  return { ...x, seen: q ? { text: seenBy(q), probes: q.probes } : null };
}

export default withDatabasePage(async function AlertsPage() {
  const db = getDatabase().db;
  const principal = currentPrincipal();
  const role = principal && roleOf(principal);
  const canEdit = role !== null && roleAtLeast(role, 'editor');
  const rules = await listRules(db);
  const alerts = await currentAlerts(db);
  const history = await alertHistory(db, { limit: 50 });
  const silences = await listSilences(db, { state: 'all', now: new Date(), limit: SILENCES_SHOWN });
  // A receiver's URL can hold its own secret (Slack's does): editors only, as in the API.
  const webhooks = (await listWebhooks(db)).map(({ id, name, url, format, enabled }) => ({ id, name, url: canEdit ? url : '', format, enabled }));
  const deliveries = await recentDeliveries(db, { limit: 30, attemptsPerMessage: 10 });

  return (
    <div className={css.page} data-testid="alerts-page">
      <h1>Alerts</h1>
      <RulesPanel rules={rules.map((r) => ({ id: r.id, ...ruleToWire(r) }) as RuleWire)} alerts={alerts} webhooks={webhooks} canEdit={canEdit} />
      <CurrentAlerts alerts={alerts.map(withSeen)} silences={silences} canEdit={canEdit} />
      <SilencesPanel silences={silences} canEdit={canEdit} />
      <WebhooksPanel webhooks={webhooks} deliveries={deliveries} canEdit={canEdit} />
      <AlertHistory history={history.map(withSeen)} silences={silences} />
    </div>
  );
});
