/**
 * A labelled scenario for the attribution scorecard: sessions as the analysis reads them,
 * and what an experienced SRE concludes from the physics that made them. Expectations are
 * written from the configured timeouts and the layers' known timer behaviour, never from
 * what the analysis printed; a scenario the analysis gets wrong stays in the corpus.
 */
import type { SessionSample } from '../../lib/analysis/analyze';
import type { Layer } from '../../lib/analysis/catalogue';
import type { Finding, RefusalGroup, SilentGroup } from '../../lib/analysis/findings';
import type { LocationScope } from '../../lib/analysis/types';
import type { Chain, EchoView, ExperimentPath, ExperimentSession, TransportView, VerificationView } from '../../lib/diagnosis/types';

export interface ExpectedSignature {
  /** N must fall inside [lo, hi] ms. Choose it from the physics of the scenario (the configured timeout ± the layer's known jitter), never from what the analysis printed. */
  nMs: [number, number];
  kind: 'idle' | 'lifetime' | 'undetermined';
  place: { scope: LocationScope; value: string | null };
  /**
   * Software.name the analysis should report, or null where nothing the probe saw can
   * identify it (an L4 proxy, HAProxy without Server, a SOCKS server, or an identity that
   * speaks for another layer than the one that cut). Compared case-insensitively by words
   * (see `sameSoftware` in score.ts): "Envoy" is matched by "envoy" and "istio-envoy".
   */
  software: string | null;
  endedBy?: 'layer' | 'endpoint';
}

/**
 * What the experiments must conclude (issue 18), written from the physics of the scenario:
 * where the path's timeout really is, what kind of layer cuts, whether the fix holds there.
 */
export interface ExpectedDiagnosis {
  /**
   * The path's bracket must be converged (within max(0.5 s, 1 % of N)) and contain a true N
   * in [lo, hi] ms (the layer's timer range); `restarted`: the search started over at least once.
   */
  brackets?: { path: ExperimentPath; nMs: [number, number]; restarted?: boolean }[];
  transports?: { path: ExperimentPath; layer: Exclude<TransportView['layer'], 'unknown'> }[];
  /** The signature with N in [lo, hi] carries a verification of this status. */
  verifications?: { nMs: [number, number]; status: VerificationView['status'] }[];
  /** The signature with N in [lo, hi] is placed on a declared chain, cut at this entry point. */
  chains?: { nMs: [number, number]; cutAt: string | null }[];
  /** An echo conclusion on the path: its kind, and the size that failed or the hold (ms, [lo, hi]). */
  echo?: { path: ExperimentPath; kind: EchoView['kind']; bytes?: number; heldMs?: [number, number] }[];
}

export interface Scenario {
  name: string;
  /** Which classes of mistake it guards (CLASSES below). */
  classes: string[];
  sessions: SessionSample[];
  /** User layers added to the built-in catalogue (as DROPSCOPE_LAYERS_FILE would). */
  layers?: Layer[];
  refusals?: RefusalGroup[];
  silent?: SilentGroup[];
  /** Experiment sessions (bisect, keepalive, held heartbeats, echo) as db/queries/experiment-sessions.ts reads them; their drops are in `sessions` too. */
  experiments?: ExperimentSession[];
  /** Declared chains of entry points. */
  chains?: Chain[];
  expect: { signatures: ExpectedSignature[]; findings?: { kind: Finding['kind']; cause: string }[]; diagnosis?: ExpectedDiagnosis };
  /** Why the expectation is what it is, where an SRE might hesitate. */
  why?: string;
}

/** The classes of mistake the corpus must guard, each by at least one scenario ('lab' only once recordings exist). */
export const CLASSES = [
  'phantom-never-pong',
  'phantom-target-pause',
  'phantom-close-frame-idle',
  'software-non-default',
  'software-unknown',
  'software-unseen',
  'software-wrong-place',
  'software-several',
  'neighbours',
  'coarse-timer',
  'black-hole',
  'stragglers',
  'lifetime',
  'lifetime-silent',
  'undetermined-place',
  'app-close',
  'refusal',
  'several-layers',
  'background',
  'label',
  'probe',
  'ladder',
  'bisect',
  'bisect-restart',
  'transport-l4',
  'transport-l7',
  'verified',
  'refuted',
  'reconnect',
  'chain',
  'echo-buffering',
  'echo-frame-lost',
  'echo-frame-refused',
  'lab',
] as const;
