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

export interface Scenario {
  name: string;
  /** Which classes of mistake it guards (CLASSES below). */
  classes: string[];
  sessions: SessionSample[];
  /** User layers added to the built-in catalogue (as DROPSCOPE_LAYERS_FILE would). */
  layers?: Layer[];
  refusals?: RefusalGroup[];
  silent?: SilentGroup[];
  expect: { signatures: ExpectedSignature[]; findings?: { kind: Finding['kind']; cause: string }[] };
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
  'lab',
] as const;
