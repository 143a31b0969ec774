/** How a session's end is grouped on the timeline (components/paths/end-kinds.ts), lost canaries included (issue 19). */
import { describe, expect, it } from 'vitest';
import { END_GROUPS, endGroup } from '../../../components/paths/end-kinds';

describe('endGroup', () => {
  it('groups by how the session ended', () => {
    expect(endGroup(null, null)).toBe('live');
    expect(endGroup('2026-11-01T12:00:00.000Z', 'probe_closed')).toBe('closed');
    expect(endGroup('2026-11-01T12:00:00.000Z', 'close_frame')).toBe('frame');
    expect(endGroup('2026-11-01T12:00:00.000Z', 'tcp_reset')).toBe('drop');
  });
  it('an end without an end kind is a canary the server closed as lost: not live, and not a drop', () => {
    expect(endGroup('2026-11-01T12:00:00.000Z', null)).toBe('lost');
    expect(END_GROUPS.find((g) => g.key === 'lost')!.label).toBe('lost (its probe came back without it)');
  });
});
