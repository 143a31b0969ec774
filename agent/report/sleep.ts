/**
 * The reporter's waits: a backoff, the 401 pause, the idle poll. stop() and flush() cut any of
 * them short; a spool append cuts short only the idle wait, never a backoff (an append must not
 * turn a backoff into a retry storm).
 */
import type { Timers } from './types';

export type WakeReason = 'append' | 'flush' | 'stop';

export class Sleeps {
  readonly #timers: Timers;
  readonly #sleepers = new Set<{ byAppend: boolean; finish: () => void }>();
  /** Set by each append, so an append racing the idle check is not missed. */
  #appended = false;
  #stopping = false;

  constructor(timers: Timers) {
    this.#timers = timers;
  }

  /** Forget appends seen so far: the step about to run will peek them. */
  clearAppended(): void {
    this.#appended = false;
  }

  /** Sleep `ms`; stop() and flush() cut it short, and so does an append when `byAppend`. */
  wait(ms: number, byAppend: boolean): Promise<void> {
    if (this.#stopping || (byAppend && this.#appended)) return Promise.resolve();
    return new Promise((resolve) => {
      const sleeper = {
        byAppend,
        finish: () => {
          this.#timers.clearTimeout(handle);
          this.#sleepers.delete(sleeper);
          resolve();
        },
      };
      const handle = this.#timers.setTimeout(sleeper.finish, ms);
      this.#sleepers.add(sleeper);
    });
  }

  wake(reason: WakeReason): void {
    if (reason === 'append') this.#appended = true;
    if (reason === 'stop') this.#stopping = true;
    for (const s of [...this.#sleepers]) if (reason !== 'append' || s.byAppend) s.finish();
  }
}
