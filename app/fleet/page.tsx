/**
 * /fleet: the plan probes take from the server (issue 17). Everyone signed in reads it;
 * editors change it (the plan API checks the role again on every write). Each server path
 * shows on which probes it runs and on which it could not, from the probes' own reports.
 * Chains of entry points (issue 18) are declared here too, for the analysis, and the
 * experiments the server asks of probes are listed.
 */
import type { Metadata } from 'next';
import css from '@/components/fleet/fleet.module.css';
import { FleetPanel } from '@/components/fleet/fleet-panel';
import { pathFleetStatus } from '@/components/fleet/path-status';
import { getDatabase } from '@/db/client';
import { listPlanChains } from '@/db/queries/chains';
import { listExperiments } from '@/db/queries/experiments';
import { readFleetPlan } from '@/db/queries/plans';
import { probePlanStatuses } from '@/db/queries/probe-plan';
import { listProbes } from '@/db/queries/probes';
import { withDatabasePage } from '@/app/database-page';
import { roleAtLeast, roleOf } from '@/lib/auth/roles';
import { fleetPlanForViewer } from '@/lib/plans/redact';
import { currentPrincipal } from '@/server/auth/current';

export const dynamic = 'force-dynamic';
export const metadata: Metadata = { title: 'Fleet' };

export default withDatabasePage(async function FleetPage() {
  const db = getDatabase().db;
  const principal = currentPrincipal();
  const role = principal && roleOf(principal);
  const canEdit = role !== null && roleAtLeast(role, 'editor');
  // Target headers can carry credentials: only editors see their values (as the API answers).
  const stored = await readFleetPlan(db);
  const plan = canEdit ? stored : fleetPlanForViewer(stored);
  const chains = await listPlanChains(db);
  const experiments = await listExperiments(db, new Date());
  // Canary targets and revoked probes fetch no plan: a selector never picks them.
  const probes = (await listProbes(db)).filter((p) => p.kind === 'probe' && p.revokedAt === null);
  const statuses = probes.length ? await probePlanStatuses(db, probes.map((p) => p.id)) : new Map();
  const status = pathFleetStatus(probes.flatMap((p) => (statuses.has(p.id) ? [{ probe: p.name, plan: statuses.get(p.id)! }] : [])));

  return (
    <div className={css.page} data-testid="fleet-page" data-revision={plan.revision} data-can-edit={canEdit}>
      <h1>Fleet</h1>
      <p className={css.note}>
        Plan revision {plan.revision} · {probes.length} probe{probes.length === 1 ? '' : 's'} · each probe&apos;s own view of its plan is on <a href="/probes">Probes</a>.
      </p>
      <FleetPanel plan={plan} chains={chains} experiments={experiments} probes={probes.map(({ name, labels }) => ({ name, labels }))} status={status} canEdit={canEdit} />
    </div>
  );
});
