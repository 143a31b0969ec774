/**
 * What a token may post, by its kind (db/queries/probes.ts ProbeKind):
 *
 * - `probe`: its own sessions and their samples, its heartbeats, and target views of its
 *   own sessions. A session id another probe holds is refused with 409 when stored
 *   (db/queries/ingest.ts SessionConflictError), for session events and views alike.
 * - `target`: a standalone canary target (`dropscope-target`, registered with
 *   `dropscope probe add <name> --target`) posts only `target.session_ended`, only under its
 *   own registered name, and never over a view of a session that reached another target
 *   (409 when stored). Anything else is refused here with 403, naming the event.
 *
 * Before this, any token could post anything, so a probe's token could overwrite the
 * canary target's view of another probe's session.
 */
import type { IngestEvent } from '../contracts/ingest';
import type { FieldIssue } from '../http/problem';

export type ReporterKind = 'probe' | 'target';

/** Who posts a batch, as its token says. */
export interface Reporter {
  id: number;
  name: string;
  kind: ReporterKind;
}

/** The events `reporter` may not post at all, as field issues (`events.3.type`); empty when all may be posted. */
export function forbiddenEvents(reporter: Reporter, events: readonly IngestEvent[]): FieldIssue[] {
  if (reporter.kind !== 'target') return [];
  const issues: FieldIssue[] = [];
  events.forEach((e, i) => {
    if (e.type !== 'target.session_ended') {
      issues.push({ path: `events.${i}.type`, message: `event ${e.id}: a target token may post only target.session_ended, not ${e.type}` });
    } else if (e.target !== reporter.name) {
      issues.push({
        path: `events.${i}.target`,
        message: `event ${e.id}: this token belongs to the target "${reporter.name}", which may post only its own views (target "${e.target}"): run dropscope-target with --name ${reporter.name}`,
      });
    }
  });
  return issues;
}
