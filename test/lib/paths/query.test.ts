import { describe, expect, it } from 'vitest';
import { parsePathsQuery, parseScopeQuery } from '../../../lib/paths/query';

const NOW = new Date('2026-11-22T12:00:00Z');

describe('paths query strings', () => {
  it('splits by=probe from the scope and ignores unknown parameters', () => {
    expect(parsePathsQuery({ range: '6h', by: 'probe', utm_source: 'chat' }, NOW)).toMatchObject({
      success: true,
      data: { scope: { range: '6h' }, byProbe: true },
      ignored: ['utm_source'],
      known: { range: '6h', by: 'probe' },
    });
  });

  it('names a bad by and a bad scope field together', () => {
    const r = parsePathsQuery({ by: 'target', range: '2h' }, NOW);
    expect(r.success).toBe(false);
    if (!r.success) expect(r.issues.map((i) => i.path).sort()).toEqual(['by', 'range']);
  });

  it('holds a from alone to the range limit, naming from', () => {
    const r = parseScopeQuery({ from: '2020-01-01T00:00:00Z' }, NOW);
    expect(r.success).toBe(false);
    if (!r.success) expect(r.issues[0]!.path).toBe('from');
    expect(parsePathsQuery({ from: '2020-01-01T00:00:00Z' }, NOW).success).toBe(false);
  });

  it('does not know by on a single path', () => {
    expect(parseScopeQuery({ by: 'probe' }, NOW)).toMatchObject({ success: true, ignored: ['by'] });
  });
});
