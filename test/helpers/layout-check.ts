/**
 * Does a page fit its window (issue 19: tables usable at 1366 px, content using 1920 px)?
 * `snapshotLayout` runs in the browser (page.evaluate) and measures the page and every
 * table with a header row: where each header cell is, and what part of the table can be
 * seen without scrolling (its nearest scrolling ancestor, within the window). The verdict
 * is the pure `layoutProblems`, tested on its own (test/app/layout-check.test.ts).
 */
export interface ColumnBox {
  name: string;
  left: number;
  right: number;
}

export interface TableBox {
  /** data-testid, aria-label or caption of the table, else `table #n`. */
  name: string;
  /** The horizontal part of the window the table is seen through, in viewport pixels. */
  visibleLeft: number;
  visibleRight: number;
  columns: ColumnBox[];
}

export interface LayoutSnapshot {
  viewportWidth: number;
  /** document.documentElement.scrollWidth: wider than the viewport means the page scrolls sideways. */
  pageScrollWidth: number;
  /** The main content's width, to tell whether a wide screen is used. */
  mainWidth: number;
  tables: TableBox[];
}

/**
 * What is wrong with a page's layout, in words naming the table and column: the page
 * scrolls sideways, or a header cell lies (more than `tolerancePx`) outside the part of its
 * table that can be seen. `columns` limits the check to some columns of a table by name.
 */
export function layoutProblems(s: LayoutSnapshot, options: { tolerancePx?: number; only?: Record<string, readonly string[]> } = {}): string[] {
  const tol = options.tolerancePx ?? 1;
  const out: string[] = [];
  if (s.pageScrollWidth > s.viewportWidth + tol) out.push(`the page scrolls sideways: ${s.pageScrollWidth} px wide in a ${s.viewportWidth} px window`);
  for (const t of s.tables) {
    const only = options.only?.[t.name];
    for (const c of t.columns) {
      if (only && !only.includes(c.name)) continue;
      if (c.left < t.visibleLeft - tol || c.right > t.visibleRight + tol) {
        out.push(`${t.name}: column "${c.name}" at ${Math.round(c.left)}–${Math.round(c.right)} px is outside the visible ${Math.round(t.visibleLeft)}–${Math.round(t.visibleRight)} px`);
      }
    }
  }
  return out;
}

/** Runs in the page: must stay self-contained (no imports, no closures over this module). */
export function snapshotLayout(): LayoutSnapshot {
  const viewportWidth = document.documentElement.clientWidth;
  const tables: TableBox[] = [];
  document.querySelectorAll('main table').forEach((table, i) => {
    const el = table as HTMLElement;
    const head = el.querySelector(':scope > thead');
    if (!head || el.getClientRects().length === 0) return;
    let left = 0;
    let right = viewportWidth;
    for (let a = el.parentElement; a && a !== document.body; a = a.parentElement) {
      const ox = getComputedStyle(a).overflowX;
      if (ox === 'auto' || ox === 'scroll' || ox === 'hidden' || ox === 'clip') {
        const r = a.getBoundingClientRect();
        left = Math.max(left, r.left + a.clientLeft);
        right = Math.min(right, r.left + a.clientLeft + a.clientWidth);
      }
    }
    const caption = el.querySelector('caption')?.textContent?.trim();
    const name = el.dataset.testid ?? el.getAttribute('aria-label') ?? el.closest('[data-testid]')?.getAttribute('data-testid') ?? caption ?? `table #${i}`;
    const columns: ColumnBox[] = [];
    head.querySelectorAll('th').forEach((th, j) => {
      const r = th.getBoundingClientRect();
      if (r.width === 0) return;
      const label = (th as HTMLElement).dataset.col ?? th.textContent?.trim() ?? '';
      columns.push({ name: label || `#${j}`, left: r.left, right: r.right });
    });
    tables.push({ name, visibleLeft: left, visibleRight: right, columns });
  });
  const main = document.querySelector('main');
  return { viewportWidth, pageScrollWidth: document.documentElement.scrollWidth, mainWidth: main ? main.getBoundingClientRect().width : 0, tables };
}
