/**
 * How healthy a path looks, from its counts alone: one rule shared by the matrix cells,
 * their legend and the API, so the colour, the word and the JSON never disagree.
 */
export const HEALTH_LEVELS = ['healthy', 'degraded', 'failing', 'idle'] as const;
export type Health = (typeof HEALTH_LEVELS)[number];

export interface HealthInput {
  attempts: number;
  opened: number;
  ended: number;
  drops: number;
}

/** Thresholds, also printed in the legend. */
export const HEALTH_RULES = {
  /** Below this share of attempts upgraded (101), or at/above this share of ended sessions dropped: failing. */
  failingUpgrade: 0.5,
  failingDrops: 0.5,
  /** Below / at-or-above these: degraded. */
  degradedUpgrade: 0.95,
  degradedDrops: 0.1,
} as const;

export function pathHealth(c: HealthInput): Health {
  if (c.attempts === 0) return 'idle';
  const upgrade = c.opened / c.attempts;
  const dropShare = c.ended === 0 ? 0 : c.drops / c.ended;
  if (upgrade < HEALTH_RULES.failingUpgrade || dropShare >= HEALTH_RULES.failingDrops) return 'failing';
  if (upgrade < HEALTH_RULES.degradedUpgrade || dropShare >= HEALTH_RULES.degradedDrops) return 'degraded';
  return 'healthy';
}
