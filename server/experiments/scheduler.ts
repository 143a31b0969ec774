/**
 * The experiment scheduler (issue 18): every minute, conclude the experiments whose sessions
 * have said what they found, remove those finished long ago, read the analysis of the last
 * 6 h and ask the probes that see a signature to try its fix (server/experiments/requests.ts)
 * through their plans (db/queries/experiments.ts). Every server runs the loop; the round's
 * advisory lock makes them take turns (as retention's does): a round never runs beside
 * another, and a server that finds one running skips its own instead of repeating the
 * analysis, the most expensive read we have, at the same moment.
 */
import { ZodError } from 'zod';
import { and, eq, inArray, isNotNull, isNull, sql } from 'drizzle-orm';
import type { Database, Db, Executor } from '../../db/client';
import { analyzeScope } from '../../db/queries/analysis';
import { experimentSessions } from '../../db/queries/experiment-sessions';
import { diagnose } from '../../lib/diagnosis/diagnose';
import { concludeExperiments, ensureExperiment, expireExperiments, type EnsureAction } from '../../db/queries/experiments';
import { rowsOf } from '../../db/queries/scope';
import { probePlanStatus, probes } from '../../db/schema';
import { readsExperiments } from '../../lib/contracts/plan';
import { isDatabaseUnavailable } from '../../db/unavailable';
import type { Layer } from '../../lib/analysis/catalogue';
import type { Logger } from '../../lib/log';
import { startLoop } from '../alerts/loop';
import { experimentWishes } from './requests';

/** How often a round runs. */
export const EXPERIMENT_EVERY_MS = 60_000;
/** The analysis a round reads: the last 6 h, long enough for a signature to gather its drops, short enough to follow a change. */
export const ANALYSIS_WINDOW_MS = 6 * 3_600_000;
/** Advisory lock of a round (one server at a time): "exp". */
export const EXPERIMENTS_LOCK = 0x65_78_70;

export interface RoundOutcome {
  /** False when another server held the round. */
  ran: boolean;
  concluded: number;
  /** Finished experiments past their hold-back, removed. */
  removed: number;
  signatures: number;
  ensured: Record<EnsureAction, number>;
  /** Probes a signature names that fetch no plan (unknown, revoked, a canary target, or one that never fetched, like the demo's): nothing asked of them. */
  skippedProbes: string[];
  /** Experiments that could not be asked, and why (a name a plan cannot carry). */
  refused: string[];
}

/**
 * One round at `now`, in one transaction under the round's advisory lock (skipped when
 * another server holds it). The analysis runs inside it, so the lock covers it too.
 */
export async function runExperimentRound(db: Db, options: { now: Date; layers: readonly Layer[] }): Promise<RoundOutcome> {
  const { now } = options;
  const outcome: RoundOutcome = { ran: false, concluded: 0, removed: 0, signatures: 0, ensured: { created: 0, replaced: 0, kept: 0, 'held back': 0 }, skippedProbes: [], refused: [] };
  await db.transaction(async (tx) => {
    const [lock] = rowsOf<{ locked: boolean }>(await tx.execute(sql`select pg_try_advisory_xact_lock(${EXPERIMENTS_LOCK}) as locked`));
    if (!lock?.locked) return;
    outcome.ran = true;
    outcome.concluded = (await concludeExperiments(tx, now)).length;
    outcome.removed = (await expireExperiments(tx, now)).length;
    // analyzeScope opens its own read-only transaction, which inside this one is a savepoint
    // (drizzle ignores the isolation options there): the round reads what its writes see.
    const scope = { from: new Date(now.getTime() - ANALYSIS_WINDOW_MS), to: now };
    const analysis = await analyzeScope(tx as unknown as Db, scope, { now, layers: options.layers });
    // The signatures the report shows: without those its echo findings explain (echo
    // canaries cut at the age their growing messages reached a size: no timeout to verify).
    const { signatures } = diagnose({ sessions: await experimentSessions(tx, scope, now), chains: [], signatures: analysis.signatures });
    outcome.signatures = signatures.length;
    const wishes = experimentWishes(signatures);
    const ids = await planProbeIds(tx, [...new Set(wishes.map((w) => w.probe))]);
    for (const { probe, ...wish } of wishes) {
      const probeId = ids.get(probe);
      if (probeId === undefined) {
        if (!outcome.skippedProbes.includes(probe)) outcome.skippedProbes.push(probe);
        continue;
      }
      // A wish no plan could carry (a target name that ingest accepts but a plan name does
      // not) is refused before anything is written: skip it, not the whole round.
      try {
        const { action } = await ensureExperiment(tx, { ...wish, probeId }, now);
        outcome.ensured[action] += 1;
      } catch (err) {
        if (!(err instanceof ZodError)) throw err;
        outcome.refused.push(`${probe} ${wish.target}·${wish.proxy} ${wish.kind}: ${err.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ')}`);
      }
    }
  });
  return outcome;
}

/**
 * Ids of the named probes that follow a server plan: probes (not canary targets), not
 * revoked, that have fetched one, running an agent that reads experiments
 * (EXPERIMENTS_SINCE_AGENT). An experiment asked of any other would only wait to expire.
 */
async function planProbeIds(db: Executor, names: readonly string[]): Promise<Map<string, number>> {
  if (names.length === 0) return new Map();
  const rows = await db
    .select({ id: probes.id, name: probes.name, agentVersion: probes.agentVersion })
    .from(probes)
    .innerJoin(probePlanStatus, eq(probePlanStatus.probeId, probes.id))
    .where(and(inArray(probes.name, [...names]), eq(probes.kind, 'probe'), isNull(probes.revokedAt), isNotNull(probePlanStatus.fetchedAt)));
  // An older agent would refuse its whole plan for the experiments in it.
  return new Map(rows.filter((r) => readsExperiments(r.agentVersion)).map((r) => [r.name, r.id]));
}

export interface ExperimentSchedulerOptions {
  database: Database;
  layers: readonly Layer[];
  log: Logger;
  intervalMs?: number;
  /** The clock a round reads; tests inject theirs. */
  now?: () => Date;
  /** Called after each round that did not fail (tests wait on it). */
  onRound?: (outcome: RoundOutcome) => void;
}

/** Start the rounds: the first at once, then every `intervalMs` (EXPERIMENT_EVERY_MS). */
export function startExperimentScheduler(options: ExperimentSchedulerOptions): { close(): Promise<void> } {
  const { database, log } = options;
  const now = options.now ?? (() => new Date());
  const loop = startLoop(async () => {
    try {
      const outcome = await runExperimentRound(database.db, { now: now(), layers: options.layers });
      const { created, replaced } = outcome.ensured;
      if (outcome.refused.length > 0) log.warn({ refused: outcome.refused }, 'experiments refused: a plan cannot carry them');
      if (outcome.concluded + outcome.removed + created + replaced > 0) log.info(outcome, 'experiments updated');
      else log.debug(outcome, 'experiments unchanged');
      options.onRound?.(outcome);
    } catch (err) {
      if (isDatabaseUnavailable(err)) log.warn({ err: (err as Error).message }, 'experiments not scheduled: database unavailable');
      else log.error({ err }, 'experiments not scheduled');
    }
  }, options.intervalMs ?? EXPERIMENT_EVERY_MS);
  return { close: () => loop.close() };
}
