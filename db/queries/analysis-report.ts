/** Signatures and the other findings for one scope: what /api/v1/analysis and the page show. */
import type { Layer } from '../../lib/analysis/catalogue';
import { egressFindings, findingKinds, ladderFindings, refusalFindings, rttFindings, silentFindings, type Finding } from '../../lib/analysis/findings';
import { reconcileFixes } from '../../lib/analysis/fixes';
import { diagnose } from '../../lib/diagnosis/diagnose';
import type { Diagnosis } from '../../lib/diagnosis/types';
import type { Db } from '../client';
import { analyzeScope, type AnalysisResult, type AnalysisScope } from './analysis';
import { chainList } from './chains';
import { experimentSessions, upgradeIdentities } from './experiment-sessions';
import { runReads } from './reads';
import * as tables from './findings';

export interface AnalysisReport extends AnalysisResult {
  generatedAt: string;
  /** Bisect, transport and echo findings (lib/diagnosis) among the others. */
  findings: Finding[];
  /**
   * What the scope's experiments concluded (issue 18): brackets, L4 or L7, verifications,
   * chain positions, echo. The signatures carry their own verification and chain position.
   */
  diagnosis: Diagnosis;
}

/**
 * `concurrent`: run the analysis, the five findings statements and the two experiment
 * reads at once, on as many pool connections (PostgreSQL; db/queries/reads.ts). The report
 * then takes about as long as its slowest statement instead of their sum.
 */
export async function analysisReport(db: Db, scope: AnalysisScope, options: { now: Date; layers: readonly Layer[]; concurrent?: boolean }): Promise<AnalysisReport> {
  const [result, refusals, silent, ladder, egress, rtt, experiments, chains] = await runReads(options.concurrent ?? false, [
    () => analyzeScope(db, scope, options),
    () => tables.refusalGroups(db, scope),
    () => tables.silentGroups(db, scope),
    () => tables.ladderRungs(db, scope),
    () => tables.egressStats(db, scope),
    () => tables.rttBeforeDrops(db, scope),
    () => experimentSessions(db, scope, options.now),
    () => chainList(db),
  ] as const);
  // What each chain's entry points say about themselves: read only when chains are declared.
  const identities = chains.length > 0 ? await upgradeIdentities(db, [...new Set(chains.flatMap((c) => c.hops))], scope) : new Map<string, Record<string, string>>();
  const { diagnosis, findings: diagnosed, signatures } = diagnose({ sessions: experiments, chains, signatures: result.signatures, identities });
  const rank = { critical: 0, warning: 1, info: 2 } as const;
  // Within a severity: by kind as listed, then by title, so that the order does not change
  // from one refresh to the next with the order groups came out of a hash.
  // One fix per layer: findings about a signature's layer repeat its fix (lib/analysis/fixes.ts).
  const all = reconcileFixes(signatures, [...refusalFindings(refusals), ...result.findings, ...egressFindings(egress), ...silentFindings(silent), ...ladderFindings(ladder), ...rttFindings(rtt), ...diagnosed]);
  const findings = all.sort(
    (a, b) => rank[a.severity] - rank[b.severity] || findingKinds.indexOf(a.kind) - findingKinds.indexOf(b.kind) || (a.title < b.title ? -1 : a.title > b.title ? 1 : 0),
  );
  return { ...result, signatures, generatedAt: options.now.toISOString(), findings, diagnosis };
}
