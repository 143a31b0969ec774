/**
 * Ladder rungs per probe, path and gap (db/schema.ts `finding_ladder_rungs`): the sealed
 * hours of the range from the aggregate, the rest from the rows, as every sealed aggregate
 * of ours (db/queries/sealed-aggregate.ts). An hour holds one row per probe, path and rung
 * (bench:dashboard's million: 332,593 ladder endings over 8 days).
 */
import { and, gte, isNotNull, lt, sql, type SQL } from 'drizzle-orm';
import type { LadderRung } from '../../lib/analysis/findings';
import { splitEndings } from '../../lib/rollups/ending-buckets';
import type { Executor } from '../client';
import { canarySessions as s, findingLadderRungs as fl, findingLadderRungsDirty, probes } from '../schema';
import type { AnalysisScope } from './analysis';
import { CLOSED_BY_ENDPOINT } from './drop-values';
import { pathFilters, rowsOf, within } from './scope';
import { REPORT_BUCKET_MS, dirtyHours, type SealedAggregate } from './sealed-aggregate';

const rung = and(sql`${s.profileKind} = 'ladder'`, isNotNull(s.gapMs))!;
/** A rung the probe closed on purpose: it survived its gap. */
const SURVIVED = sql`(${s.endKind} = 'probe_closed' and ${s.closeReason} like 'ladder:%')`;
/** An endpoint's own close (a paused target's 1001 and 1013) is no death at the rung's gap. */
const DIED = sql`(${s.endKind} <> 'probe_closed' and not ${CLOSED_BY_ENDPOINT})`;

/** The aggregate of one (hour, probe): the one definition of what finding_ladder_rungs holds. */
export function ladderAggregate(bucket: Date, probeId: number): { columns: SQL; select: SQL } {
  const hour = and(gte(s.endedAt, bucket), lt(s.endedAt, new Date(bucket.getTime() + REPORT_BUCKET_MS)), rung, sql`${s.probeId} = ${probeId}`)!;
  return {
    columns: sql`bucket, probe_id, target_name, proxy_name, profile, gap_ms, survived, died`,
    select: sql`select ${bucket.toISOString()}::timestamptz, ${probeId}::int, ${s.targetName}, ${s.proxyName}, ${s.profile}, ${s.gapMs},
        (count(*) filter (where ${SURVIVED}))::int, (count(*) filter (where ${DIED}))::int
      from ${s} where ${hour}
      group by ${s.targetName}, ${s.proxyName}, ${s.profile}, ${s.gapMs}`,
  };
}

export const LADDER_RUNGS: SealedAggregate = { name: 'finding_ladder_rungs', lockClass: 0x0e_b1_81, table: fl, dirty: findingLadderRungsDirty, aggregate: ladderAggregate };

/** Ladder canaries ended in [from, to), per probe × target × proxy × gap: rungs survived and died, in that order. */
export async function ladderRungs(db: Executor, scope: AnalysisScope): Promise<LadderRung[]> {
  const split = splitEndings(scope.from, scope.to, await dirtyHours(db, LADDER_RUNGS, scope.from, scope.to));
  const parts: SQL[] = [];
  if (split.sealed.length > 0) {
    parts.push(sql`select ${fl.probeId} as p, ${fl.targetName} as t, ${fl.proxyName} as x, ${fl.gapMs} as gap, ${fl.survived} as survived, ${fl.died} as died
      from ${fl} where ${and(within(fl.bucket, split.sealed), ...pathFilters(fl, scope))}`);
  }
  if (split.raw.length > 0) {
    parts.push(sql`select ${s.probeId} as p, ${s.targetName} as t, ${s.proxyName} as x, ${s.gapMs} as gap, coalesce(${SURVIVED}, false)::int as survived, coalesce(${DIED}, false)::int as died
      from ${s} where ${and(within(s.endedAt, split.raw), rung, ...pathFilters(s, scope))}`);
  }
  if (parts.length === 0) return [];
  const rows = rowsOf<{ probe: string; t: string; x: string; gap: string | number; survived: string | number; died: string | number }>(
    await db.execute(sql`select ${probes.name} as probe, g.t, g.x, g.gap, g.survived, g.died
      from (select p, t, x, gap, sum(survived) as survived, sum(died) as died from (${sql.join(parts, sql` union all `)}) as u group by 1, 2, 3, 4) as g
      join ${probes} on ${probes.id} = g.p
      order by ${probes.name}, g.t, g.x, g.gap`),
  );
  return rows.map((r) => ({ probe: r.probe, target: r.t, proxy: r.x, gapMs: Number(r.gap), survived: Number(r.survived), died: Number(r.died) }));
}
