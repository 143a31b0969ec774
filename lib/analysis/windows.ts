/**
 * Phase one of the analysis: the dense windows in the histograms of age and of idle time
 * before the drop. An idle window at the same N as an age window is the same signature
 * (idle canaries' age is their idle time), so it is kept once, as age.
 */
import { findPeaks, type Bin, type Peak } from './peaks';

export interface SignatureWindow {
  dimension: 'age' | 'idle';
  peak: Peak;
}

export function signatureWindows(ageBins: readonly Bin[], idleBins: readonly Bin[], binMs: number): SignatureWindow[] {
  const age = findPeaks(ageBins, { binMs }).map((peak) => ({ dimension: 'age' as const, peak }));
  const idle = findPeaks(idleBins, { binMs })
    .filter((p) => !age.some((a) => p.lowMs < a.peak.highMs && p.highMs > a.peak.lowMs))
    .map((peak) => ({ dimension: 'idle' as const, peak }));
  return [...age, ...idle].sort((a, b) => a.peak.centerMs - b.peak.centerMs);
}
