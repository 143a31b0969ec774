/**
 * What a bench created and must remove (servers, scratch databases, temp directories), in
 * reverse order of creation, also on Ctrl-C. A failing cleanup is reported and the rest
 * still run.
 */
export const cleanups: (() => Promise<void> | void)[] = [];

export async function cleanupAll(): Promise<void> {
  while (cleanups.length) {
    try {
      await cleanups.pop()!();
    } catch (err) {
      process.stderr.write(`cleanup failed: ${(err as Error).message}\n`);
    }
  }
}

process.on('SIGINT', () => {
  process.stderr.write('\ninterrupted: cleaning up\n');
  void cleanupAll().finally(() => process.exit(130));
});
