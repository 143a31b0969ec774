import { describe, expect, it } from 'vitest';
import { DAY_MS, DAYS_AHEAD, dayOf, parseRetention, partitionDay, partitionName, planPartitions } from '../../../lib/retention/partitions';

const day = (iso: string) => Date.parse(`${iso}T00:00:00Z`);

describe('day partitions', () => {
  it('names a UTC day and reads the name back', () => {
    expect(partitionName(day('2026-11-20'))).toBe('canary_sessions_p20261120');
    expect(partitionDay('canary_sessions_p20261120')).toBe(day('2026-11-20'));
    expect(partitionDay('canary_sessions_default')).toBeNull();
    expect(partitionDay('canary_sessions_p20261340')).toBeNull();
    expect(() => partitionName(day('2026-11-20') + 1)).toThrow(RangeError);
  });

  it('creates yesterday to DAYS_AHEAD ahead when missing, and drops the days past the horizon', () => {
    const now = day('2026-12-06') + 7 * 3_600_000;
    const existing = ['canary_sessions_p20261104', 'canary_sessions_p20261105', 'canary_sessions_p20261106', 'canary_sessions_p20261206'];
    const plan = planPartitions(now, 30 * DAY_MS, existing);
    expect(plan.create.map(partitionName)).toEqual(['canary_sessions_p20261205', ...Array.from({ length: DAYS_AHEAD }, (_, i) => partitionName(day('2026-12-07') + i * DAY_MS))]);
    // The horizon is 2026-11-06 07:00: the 4th and the 5th ended before it, the 6th has not.
    expect(plan.drop).toEqual(['canary_sessions_p20261104', 'canary_sessions_p20261105']);
    expect(plan.horizon).toBe(now - 30 * DAY_MS);
  });

  it('never creates a day it would drop at once (a retention shorter than a day)', () => {
    const now = day('2026-12-06') + 7 * 3_600_000;
    const plan = planPartitions(now, 3_600_000, []);
    expect(plan.create[0]).toBe(dayOf(now));
  });
});

describe('parseRetention', () => {
  it('reads days, hours, minutes and plain numbers of days', () => {
    expect(parseRetention('30d')).toBe(30 * DAY_MS);
    expect(parseRetention('36h')).toBe(36 * 3_600_000);
    expect(parseRetention('90m')).toBe(90 * 60_000);
    expect(parseRetention('400')).toBe(400 * DAY_MS);
    expect(parseRetention('0d')).toBeNull();
    expect(parseRetention('thirty days')).toBeNull();
  });
});
