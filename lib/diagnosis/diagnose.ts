/**
 * The experiments' conclusions beside the passive signatures (issue 18): brackets, L4 or
 * L7, echo findings, and for each signature whether its fix held and where on a declared
 * chain its cut happens (said in its verdict too, so that a person reading the sentence and
 * a program reading the fields are told the same).
 */
import type { Finding } from '../analysis/findings';
import { formatSeconds } from '../analysis/stats';
import { withoutSoftware } from '../analysis/signature';
import type { Signature } from '../analysis/types';
import { bracketFindings, bracketsOf } from './brackets';
import { chainPositionOf } from './chain';
import { pathKey } from './describe';
import { echoFindings, echoFindingsOf, frameFailure } from './echo';
import { transportFindings, transportsOf } from './transport';
import type { Chain, ChainPosition, Diagnosis, ExperimentSession } from './types';
import { verificationOf, verificationSentence } from './verification';

export interface DiagnoseInput {
  /** The scope's experiment sessions (db/queries/experiment-sessions.ts), any order. */
  sessions: readonly ExperimentSession[];
  chains: readonly Chain[];
  /** The scope's signatures, as the analysis found them. */
  signatures: readonly Signature[];
  /**
   * The identifying headers of a recent 101 per target (db/queries/experiment-sessions.ts
   * `upgradeIdentities`): what a chain's clean entry point says about itself.
   */
  identities?: ReadonlyMap<string, Record<string, string>>;
}

export interface Diagnosed {
  diagnosis: Diagnosis;
  /** Bisect, transport and echo findings. */
  findings: Finding[];
  /**
   * The signatures with `verification` and `chain` set and said in their verdict; without
   * those an echo finding explains (drops of echo canaries cut after a large message, at the
   * age their growth reached that size: no timeout).
   */
  signatures: Signature[];
}

/** The share of a signature's hits on echo canaries that failed at a size for it to be theirs, not a timeout's. */
const EXPLAINED_SHARE = 0.8;

export function diagnose(input: DiagnoseInput): Diagnosed {
  const { sessions, chains } = input;
  const brackets = bracketsOf(sessions);
  const echo = echoFindingsOf(sessions);
  // Echo canaries that failed at a size, on a path where that failure is a finding.
  const framed = new Set(echo.filter((v) => v.kind !== 'buffering').map(pathKey));
  const failedProfiles = new Set(sessions.filter((s) => framed.has(pathKey(s)) && frameFailure(s) !== null).map((s) => `${pathKey(s)}|${s.profile}`));
  const signatures: Signature[] = [];
  // Per echo path: the signatures its failures explain, said in its findings.
  const explains = new Map<string, string[]>();
  for (const sig of input.signatures) {
    const hits = sig.paths.reduce((n, p) => n + p.hits, 0);
    const onFailed = sig.paths.filter((p) => p.hits > 0 && failedProfiles.has(`${pathKey(p)}|${p.profile}`));
    if (hits > 0 && onFailed.reduce((n, p) => n + p.hits, 0) >= EXPLAINED_SHARE * hits) {
      for (const p of onFailed) explains.set(pathKey(p), [...new Set([...(explains.get(pathKey(p)) ?? []), formatSeconds(sig.nSeconds)])]);
      continue;
    }
    signatures.push(sig);
  }
  const echoOut = echoFindings(echo).map((f, i) => {
    const ns = echo[i]!.kind === 'buffering' ? undefined : explains.get(pathKey(echo[i]!));
    return ns ? { ...f, detail: `${f.detail} These cuts are its echo canaries' drops at ${ns.join(' and ')} of age (the age their growing messages reached that size): no timeout, so no signature.` } : f;
  });

  const transports = transportsOf(sessions, brackets, signatures);
  const diagnosis: Diagnosis = { brackets, transports, verifications: [], chains: [], echo };
  const attached = signatures.map((found) => {
    const verification = verificationOf(found, sessions);
    const chain = chainPositionOf(found, chains);
    const sig = chain ? softwareBehindTheCut(found, chain, input.identities) : found;
    if (verification) diagnosis.verifications.push({ ...verification, signature: sig.key });
    if (chain) diagnosis.chains.push({ ...chain, signature: sig.key });
    const sentences = [verificationSentence(sig, verification), chain && `${chain.summary.charAt(0).toUpperCase()}${chain.summary.slice(1)}.`].filter((x): x is string => Boolean(x));
    if (sentences.length === 0 && !verification && !chain) return sig;
    return { ...sig, verdict: [sig.verdict, ...sentences].join(' '), ...(verification && { verification }), ...(chain && { chain }) };
  });
  return { diagnosis, findings: [...bracketFindings(brackets), ...transportFindings(transports, sessions), ...echoOut], signatures: attached };
}

/**
 * A 101's Server header speaks for whichever layer wrote it, often the innermost one that
 * speaks HTTP. When a chain places the cut at an entry point and the next one inward,
 * whose canaries outlive N, answers with the same identity, that identity is a layer
 * behind the cut: it cannot be the one that cut (HAProxy in front of nginx shows only
 * nginx's Server header).
 */
function softwareBehindTheCut(sig: Signature, chain: ChainPosition, identities: ReadonlyMap<string, Record<string, string>> | undefined): Signature {
  const sw = sig.software;
  if (!sw || sw.side !== 'target-front' || chain.cutAt === null || chain.nextInward === null) return sig;
  const inner = identities?.get(chain.nextInward)?.[sw.shownBy.header];
  if (inner === undefined || inner.trim() !== sw.shownBy.value.trim()) return sig;
  return withoutSoftware(
    sig,
    `${sw.shownBy.header}: ${sw.shownBy.value.trim()} answers the upgrade on ${chain.nextInward} too, whose canaries outlive ${formatSeconds(sig.nSeconds)}: it speaks for a layer behind the cut, not for the one at ${chain.cutAt} that cut`,
  );
}
