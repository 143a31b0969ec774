/** Signatures and the other findings for one scope: what /api/v1/analysis and the page show. */
import type { Layer } from '../../lib/analysis/catalogue';
import { egressFindings, ladderFindings, refusalFindings, rttFindings, silentFindings, type Finding } from '../../lib/analysis/findings';
import type { Db } from '../client';
import { analyzeScope, type AnalysisResult, type AnalysisScope } from './analysis';
import { runReads } from './reads';
import * as tables from './findings';

export interface AnalysisReport extends AnalysisResult {
  generatedAt: string;
  findings: Finding[];
}

/**
 * `concurrent`: run the analysis and the five findings statements at once, on as many pool
 * connections (PostgreSQL; db/queries/reads.ts). The report then takes about as long as its
 * slowest statement instead of their sum.
 */
export async function analysisReport(db: Db, scope: AnalysisScope, options: { now: Date; layers: readonly Layer[]; concurrent?: boolean }): Promise<AnalysisReport> {
  const [result, refusals, silent, ladder, egress, rtt] = await runReads(options.concurrent ?? false, [
    () => analyzeScope(db, scope, options),
    () => tables.refusalGroups(db, scope),
    () => tables.silentGroups(db, scope),
    () => tables.ladderRungs(db, scope),
    () => tables.egressStats(db, scope),
    () => tables.rttBeforeDrops(db, scope),
  ] as const);
  const rank = { critical: 0, warning: 1, info: 2 } as const;
  // Within a severity: by kind as listed, then by title, so that the order does not change
  // from one refresh to the next with the order groups came out of a hash.
  const kinds = ['refusal', 'early-close', 'egress-rotation', 'silent-death', 'ladder', 'rtt-rise'];
  const findings = [...refusalFindings(refusals), ...result.findings, ...egressFindings(egress), ...silentFindings(silent), ...ladderFindings(ladder), ...rttFindings(rtt)].sort(
    (a, b) => rank[a.severity] - rank[b.severity] || kinds.indexOf(a.kind) - kinds.indexOf(b.kind) || (a.title < b.title ? -1 : a.title > b.title ? 1 : 0),
  );
  return { ...result, generatedAt: options.now.toISOString(), findings };
}
