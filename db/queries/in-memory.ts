/**
 * Whether a report's scope can be read from the server's in-memory store (lib/recent), and
 * what the store's filters need from the database: the probes, by name and labels.
 */
import type { ProbeRef, RecentScope } from '../../lib/recent/scope';
import type { RecentStore } from '../../lib/recent/store';
import type { Executor } from '../client';
import { probeRefs } from '../recent';

export interface InMemory {
  store: RecentStore;
  scope: RecentScope;
  probes: ProbeRef[];
}

/** The store and the probes when `recent` holds all of the scope; null to read the tables. */
export async function inMemory(db: Executor, recent: RecentStore | undefined, scope: RecentScope): Promise<InMemory | null> {
  if (!recent?.covers(scope.from)) return null;
  return { store: recent, scope, probes: await probeRefs(db) };
}
