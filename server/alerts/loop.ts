/**
 * A repeating task that never overlaps itself: run, then wait `intervalMs`, then run
 * again. `kick()` runs it as soon as the current run (if any) ends. Errors are the task's
 * own business: it must catch and log them.
 */
export interface Loop {
  kick(): void;
  close(): Promise<void>;
}

export function startLoop(task: () => Promise<boolean | void>, intervalMs: number): Loop {
  let timer: NodeJS.Timeout | null = null;
  let running: Promise<void> | null = null;
  let again = false;
  let closed = false;

  const schedule = (ms: number) => {
    if (closed) return;
    timer = setTimeout(run, ms);
  };
  function run(): void {
    timer = null;
    if (closed) return;
    running = task().then(
      // A task that returns true has more to do right away (a full batch).
      (more) => {
        running = null;
        const now = again || more === true;
        again = false;
        schedule(now ? 0 : intervalMs);
      },
      () => {
        running = null;
        schedule(intervalMs);
      },
    );
  }
  schedule(0);
  return {
    kick() {
      if (closed) return;
      if (running) again = true;
      else if (timer) {
        clearTimeout(timer);
        schedule(0);
      }
    },
    async close() {
      closed = true;
      if (timer) clearTimeout(timer);
      await running;
    },
  };
}
