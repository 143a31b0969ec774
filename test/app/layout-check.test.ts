/** The layout verdict of the screenshot test (test/helpers/layout-check.ts). */
import { describe, expect, it } from 'vitest';
import { layoutProblems, type LayoutSnapshot } from '../helpers/layout-check';

const page = (over: Partial<LayoutSnapshot> = {}): LayoutSnapshot => ({
  viewportWidth: 1366,
  pageScrollWidth: 1366,
  mainWidth: 1318,
  tables: [{ name: 'session-table', visibleLeft: 24, visibleRight: 1342, columns: [{ name: 'opened', left: 600, right: 680 }, { name: 'end', left: 1200, right: 1340 }] }],
  ...over,
});

describe('layoutProblems', () => {
  it('passes a page whose tables show every column', () => {
    expect(layoutProblems(page())).toEqual([]);
  });

  it('names a page that scrolls sideways', () => {
    expect(layoutProblems(page({ pageScrollWidth: 1500 }))).toEqual(['the page scrolls sideways: 1500 px wide in a 1366 px window']);
  });

  it('names a column past the visible edge, and one before it', () => {
    const s = page({ tables: [{ name: 'session-table', visibleLeft: 24, visibleRight: 1342, columns: [{ name: 'end', left: 1400, right: 1480 }, { name: 'details', left: 0, right: 20 }] }] });
    expect(layoutProblems(s)).toEqual([
      'session-table: column "end" at 1400–1480 px is outside the visible 24–1342 px',
      'session-table: column "details" at 0–20 px is outside the visible 24–1342 px',
    ]);
  });

  it('forgives sub-pixel rounding, and checks only the named columns when told', () => {
    const s = page({ tables: [{ name: 't', visibleLeft: 0, visibleRight: 100, columns: [{ name: 'a', left: 0, right: 100.6 }, { name: 'b', left: 90, right: 300 }] }] });
    expect(layoutProblems(s, { only: { t: ['a'] } })).toEqual([]);
    expect(layoutProblems(s)).toHaveLength(1);
  });
});
