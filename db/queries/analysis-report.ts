/** Signatures and the other findings for one scope: what /api/v1/analysis and the page show. */
import type { Layer } from '../../lib/analysis/catalogue';
import { egressFindings, ladderFindings, refusalFindings, rttFindings, silentFindings, type Finding } from '../../lib/analysis/findings';
import type { Db } from '../client';
import { analyzeScope, type AnalysisResult, type AnalysisScope } from './analysis';
import { egressStats, ladderRungs, refusalGroups, rttBeforeDrops, silentGroups } from './findings';

export interface AnalysisReport extends AnalysisResult {
  generatedAt: string;
  findings: Finding[];
}

/**
 * `concurrent`: run the analysis and the five findings statements at once, on as many pool
 * connections (PostgreSQL; they are independent reads). The report then takes about as long
 * as its slowest statement instead of their sum. Not on PGlite: it has one connection, and
 * a statement sent while the analysis' transaction is open would run inside it.
 */
export async function analysisReport(db: Db, scope: AnalysisScope, options: { now: Date; layers: readonly Layer[]; concurrent?: boolean }): Promise<AnalysisReport> {
  const steps = [
    () => analyzeScope(db, scope, options),
    () => refusalGroups(db, scope),
    () => silentGroups(db, scope),
    () => ladderRungs(db, scope),
    () => egressStats(db, scope),
    () => rttBeforeDrops(db, scope),
  ] as const;
  const [result, refusals, silent, ladder, egress, rtt] = options.concurrent
    ? await Promise.all([steps[0](), steps[1](), steps[2](), steps[3](), steps[4](), steps[5]()])
    : [await steps[0](), await steps[1](), await steps[2](), await steps[3](), await steps[4](), await steps[5]()];
  const rank = { critical: 0, warning: 1, info: 2 } as const;
  const findings = [...refusalFindings(refusals), ...egressFindings(egress), ...silentFindings(silent), ...ladderFindings(ladder), ...rttFindings(rtt)].sort((a, b) => rank[a.severity] - rank[b.severity]);
  return { ...result, generatedAt: options.now.toISOString(), findings };
}
