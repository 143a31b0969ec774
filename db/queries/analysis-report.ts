/** Signatures and the other findings for one scope: what /api/v1/analysis and the page show. */
import type { Layer } from '../../lib/analysis/catalogue';
import { egressFindings, ladderFindings, refusalFindings, rttFindings, silentFindings, type Finding } from '../../lib/analysis/findings';
import type { Db } from '../client';
import { analyzeScope, type AnalysisResult, type AnalysisScope } from './analysis';
import { runReads } from './reads';
import { egressStats, ladderRungs, refusalGroups, rttBeforeDrops, silentGroups } from './findings';
import { inMemory } from './in-memory';
import * as recentFindings from '../../lib/recent/findings';
import type { RecentStore } from '../../lib/recent/store';

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
  const [result, refusals, silent, ladder, egress, rtt] = await runReads(options.concurrent ?? false, [
    // First: its members' statement is on its way while the findings below run in memory.
    () => analyzeScope(db, scope, { ...options, memory }),
    () => refusalGroups(db, scope),
    () => (memory ? Promise.resolve(recentFindings.silentGroups(memory.store.sessions, scope, memory.probes)) : silentGroups(db, scope)),
    () => (memory ? Promise.resolve(recentFindings.ladderRungs(memory.store.sessions, scope, memory.probes)) : ladderRungs(db, scope)),
    () => (memory ? Promise.resolve(recentFindings.egressStats(memory.store.sessions, scope, memory.probes)) : egressStats(db, scope)),
    () => (memory ? Promise.resolve(recentFindings.rttBeforeDrops(memory.store.sessions, memory.store.rtt, scope, memory.probes)) : rttBeforeDrops(db, scope)),
  ] as const);
  const rank = { critical: 0, warning: 1, info: 2 } as const;
  // Within a severity: by kind as listed, then by title, so that the order does not change
  // from one refresh to the next with the order groups came out of a hash.
  const kinds = ['refusal', 'egress-rotation', 'silent-death', 'ladder', 'rtt-rise'];
  const findings = [...refusalFindings(refusals), ...egressFindings(egress), ...silentFindings(silent), ...ladderFindings(ladder), ...rttFindings(rtt)].sort(
    (a, b) => rank[a.severity] - rank[b.severity] || kinds.indexOf(a.kind) - kinds.indexOf(b.kind) || (a.title < b.title ? -1 : a.title > b.title ? 1 : 0),
  );
  return { ...result, generatedAt: options.now.toISOString(), findings };
}
