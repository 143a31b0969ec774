import { describe, expect, it } from 'vitest';
import { timelineDomain } from '../../../lib/paths/timeline-domain';

const MIN = 60_000;

describe('timelineDomain', () => {
  it('is the range when no session is shown', () => {
    expect(timelineDomain([], 0, 60 * MIN)).toEqual([0, 60 * MIN]);
  });

  it('zooms to the sessions, at least a minute wide', () => {
    expect(timelineDomain([[10 * MIN, 10 * MIN + 20_000]], 0, 60 * MIN)).toEqual([10 * MIN, 11 * MIN]);
    expect(timelineDomain([[10 * MIN, 12 * MIN], [11 * MIN, 15 * MIN]], 0, 60 * MIN)).toEqual([10 * MIN, 15 * MIN]);
  });

  it('starts at the range when a session opened before it', () => {
    expect(timelineDomain([[-5 * MIN, 3 * MIN]], 0, 60 * MIN)).toEqual([0, 3 * MIN]);
  });

  it('stops at the range end when a session ended after it (the demo drew 14:40–14:42 out to 14:46)', () => {
    expect(timelineDomain([[0, MIN], [MIN, 6 * MIN]], 0, 2 * MIN)).toEqual([0, 2 * MIN]);
  });

  it('stays inside a range shorter than a minute', () => {
    expect(timelineDomain([[5_000, 90_000]], 0, 30_000)).toEqual([5_000, 30_000]);
  });
});
