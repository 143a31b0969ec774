/** Signatures and the other findings for one scope: what /api/v1/analysis and the page show. */
import type { Layer } from '../../lib/analysis/catalogue';
import { egressFindings, ladderFindings, refusalFindings, rttFindings, silentFindings, type Finding } from '../../lib/analysis/findings';
import type { Db } from '../client';
import type { EgressStat, LadderRung, RefusalGroup, RttBeforeDrops, SilentGroup } from '../../lib/analysis/findings';
import { scanEndings } from '../../lib/recent/endings-scan';
import { EgressPass } from '../../lib/recent/findings';
import { RttCoverage } from '../../lib/recent/rtt-before-drops';
import type { RecentStore } from '../../lib/recent/store';
import { analyzeScope, type AnalysisResult, type AnalysisScope } from './analysis';
import { afterSending, runReads } from './reads';
import * as tables from './findings';
import { inMemory, type InMemory } from './in-memory';

export interface AnalysisReport extends AnalysisResult {
  generatedAt: string;
  findings: Finding[];
}

/**
 * `concurrent`: run the analysis and the five findings statements at once, on as many pool
 * connections (PostgreSQL; db/queries/reads.ts). The report then takes about as long as its
 * slowest statement instead of their sum. `recent`: the server's in-memory store; the
 * findings that read sessions by the hundred thousand read it instead when it holds the
 * scope (the refusals come from a rollup and a small partial index either way).
 */
export async function analysisReport(db: Db, scope: AnalysisScope, options: { now: Date; layers: readonly Layer[]; concurrent?: boolean; recent?: RecentStore }): Promise<AnalysisReport> {
  const memory = await inMemory(db, options.recent, scope);
  const [result, refusals, silent, ladder, egress, rtt] = memory ? await fromMemory(db, scope, options, memory) : await fromTables(db, scope, options);
  const rank = { critical: 0, warning: 1, info: 2 } as const;
  // Within a severity: by kind as listed, then by title, so that the order does not change
  // from one refresh to the next with the order groups came out of a hash.
  const kinds = ['refusal', 'early-close', 'egress-rotation', 'silent-death', 'ladder', 'rtt-rise'];
  const findings = [...refusalFindings(refusals), ...result.findings, ...egressFindings(egress), ...silentFindings(silent), ...ladderFindings(ladder), ...rttFindings(rtt)].sort(
    (a, b) => rank[a.severity] - rank[b.severity] || kinds.indexOf(a.kind) - kinds.indexOf(b.kind) || (a.title < b.title ? -1 : a.title > b.title ? 1 : 0),
  );
  return { ...result, generatedAt: options.now.toISOString(), findings };
}

type Parts = readonly [AnalysisResult, RefusalGroup[], SilentGroup[], LadderRung[], EgressStat[], RttBeforeDrops[]];

function fromTables(db: Db, scope: AnalysisScope, options: { now: Date; layers: readonly Layer[]; concurrent?: boolean }): Promise<Parts> {
  return runReads(options.concurrent ?? false, [
    () => analyzeScope(db, scope, options),
    () => tables.refusalGroups(db, scope),
    () => tables.silentGroups(db, scope),
    () => tables.ladderRungs(db, scope),
    () => tables.egressStats(db, scope),
    () => tables.rttBeforeDrops(db, scope),
  ] as const);
}

/**
 * The endings read once for the silent deaths, ladder rungs, the minutes
 * before drops and the egress openings (lib/recent/endings-scan.ts). The statements go out
 * before the work in memory that does not need their answers, so that the database's core
 * works while this one does: on PostgreSQL the refusals (a rollup and a small partial
 * index) before the pass over the endings, and the analysis' members before its per-path
 * counts and the egress finding's ordering. On PGlite, one connection, they run in turn.
 */
async function fromMemory(db: Db, scope: AnalysisScope, options: { now: Date; layers: readonly Layer[]; concurrent?: boolean }, memory: InMemory): Promise<Parts> {
  const { store, probes } = memory;
  const concurrent = options.concurrent ?? false;
  const early = concurrent ? tables.refusalGroups(db, scope) : null;
  const pass = () => {
    const coverage = new RttCoverage(store.rtt, scope, probes);
    // Only pairs that rotate can make an egress finding.
    const egress = new EgressPass(store.sessions, scope, probes, { onlyRotating: true });
    const scan = scanEndings(store.sessions, scope, probes, { silent: true, ladder: true, rtt: coverage });
    egress.visitEndings();
    return { coverage, egress, scan };
  };
  const { coverage, egress, scan } = early ? await afterSending(pass) : pass();
  const [result, refusals, egressStats] = await runReads(concurrent, [
    () => analyzeScope(db, scope, { now: options.now, layers: options.layers, concurrent }),
    () => early ?? tables.refusalGroups(db, scope),
    () => afterSending(() => egress.finish()),
  ] as const);
  return [result, refusals, scan.silent!, scan.ladder!, egressStats, coverage.result()];
}
