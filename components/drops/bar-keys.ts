/**
 * A histogram bar that opens its sessions from the keyboard too: the props a Recharts
 * <Cell> passes to its bar's path (Rectangle keeps aria, role, tabIndex and events), so
 * Tab reaches each bar that has sessions and Enter or Space opens its list, as a click does.
 * A bar without sessions is not a stop.
 */
import type { KeyboardEvent } from 'react';

export function barKeys(hasSessions: boolean, label: string, selected: boolean, open: () => void) {
  if (!hasSessions) return { 'aria-hidden': true as const };
  return {
    role: 'button',
    tabIndex: 0,
    'aria-label': `${label}: list them`,
    'aria-pressed': selected,
    onKeyDown: (e: KeyboardEvent<SVGElement>) => {
      if (e.key !== 'Enter' && e.key !== ' ') return;
      e.preventDefault();
      open();
    },
  };
}
