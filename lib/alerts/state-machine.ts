/**
 * The life of one alert (a rule and one label set), decided at each evaluation:
 *
 *   inactive/resolved --breach--> pending --breach held for `for`--> firing
 *   pending --not breaching--> inactive        (never fired: nobody is told)
 *   firing --clear held for `resolveAfter`--> resolved
 *
 * A verdict of `hold` (between the firing and the resolve threshold, the hysteresis band)
 * cancels a pending alert but keeps a firing one firing and restarts its clear timer, so
 * a value hovering at the threshold neither flaps nor resolves. Pure: time is passed in.
 */
export const ALERT_STATUSES = ['inactive', 'pending', 'firing', 'resolved'] as const;
export type AlertStatus = (typeof ALERT_STATUSES)[number];

/** What a rule's condition says about one label set now. */
export type Verdict = 'breach' | 'hold' | 'clear';

export interface AlertState {
  status: AlertStatus;
  /** When the current status began (epoch ms). */
  since: number;
  /** While firing: when the condition became clear, if it is; the resolve timer. */
  clearSince: number | null;
}

export interface AlertTiming {
  forMs: number;
  resolveAfterMs: number;
}

export interface Step {
  state: AlertState;
  /** Set when the status changed; `notify` for the two changes receivers hear about. */
  transition: { from: AlertStatus; to: AlertStatus; notify: boolean } | null;
}

const INITIAL: AlertState = { status: 'inactive', since: 0, clearSince: null };

export function step(prev: AlertState | null, verdict: Verdict, timing: AlertTiming, now: number): Step {
  const state = prev ?? INITIAL;
  const move = (to: AlertStatus): Step => ({
    state: { status: to, since: now, clearSince: null },
    transition: { from: state.status, to, notify: to === 'firing' || (state.status === 'firing' && to === 'resolved') },
  });
  const stay = (clearSince = state.clearSince): Step => ({ state: { ...state, clearSince }, transition: null });

  switch (state.status) {
    case 'inactive':
    case 'resolved':
      if (verdict !== 'breach') return stay(null);
      return timing.forMs === 0 ? move('firing') : move('pending');
    case 'pending':
      if (verdict !== 'breach') return move('inactive');
      return now - state.since >= timing.forMs ? move('firing') : stay();
    case 'firing': {
      if (verdict !== 'clear') return stay(null);
      const clearSince = state.clearSince ?? now;
      return now - clearSince >= timing.resolveAfterMs ? move('resolved') : stay(clearSince);
    }
  }
}
