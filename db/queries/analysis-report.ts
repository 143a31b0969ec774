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

export async function analysisReport(db: Db, scope: AnalysisScope, options: { now: Date; layers: readonly Layer[] }): Promise<AnalysisReport> {
  const result = await analyzeScope(db, scope, options);
  const [refusals, silent, ladder, egress, rtt] = [await refusalGroups(db, scope), await silentGroups(db, scope), await ladderRungs(db, scope), await egressStats(db, scope), await rttBeforeDrops(db, scope)];
  const rank = { critical: 0, warning: 1, info: 2 } as const;
  const findings = [...refusalFindings(refusals), ...egressFindings(egress), ...silentFindings(silent), ...ladderFindings(ladder), ...rttFindings(rtt)].sort((a, b) => rank[a.severity] - rank[b.severity]);
  return { ...result, generatedAt: options.now.toISOString(), findings };
}
