/**
 * Independent reads of one report, run at once where the database allows it: on PostgreSQL
 * each takes its own pool connection (and core), so the report costs about its slowest
 * read instead of their sum; on PGlite (one connection) they run one after another, because
 * a statement sent while another read's transaction is open would run inside it.
 */
export async function runReads<T extends readonly unknown[]>(concurrent: boolean, steps: { readonly [K in keyof T]: () => Promise<T[K]> }): Promise<T> {
  if (concurrent) return (await Promise.all(steps.map((step) => step()))) as unknown as T;
  const out: unknown[] = [];
  for (const step of steps) out.push(await step());
  return out as unknown as T;
}

/**
 * Run `fn` (work in memory, synchronous) once the statements already asked for have gone
 * out: a driver sends a query on a later tick, so a long synchronous step started at once
 * would hold the statements back until it ends, and their time would add to the step's
 * instead of overlapping it.
 */
export function afterSending<T>(fn: () => T): Promise<T> {
  return new Promise((resolve, reject) =>
    setImmediate(() => {
      try {
        resolve(fn());
      } catch (err) {
        reject(err);
      }
    }),
  );
}
