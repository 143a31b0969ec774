/**
 * Metrics of the live endpoints' shared answers (lib/realtime/live-answer.ts), on the
 * server's registry: how many answers were computed, and how many were served from the
 * memo or from a computation in flight; and of the heavy reports' slots
 * (lib/http/report-slots.ts). With many viewers, `computed` should grow with the
 * pushes (one per view and watermark), not with the viewers.
 */
import { Counter, Gauge, type Registry } from 'prom-client';
import { reportSlotUse } from '../lib/http/report-slots';
import { installLiveAnswerMetrics, liveAnswerMemo } from '../lib/realtime/live-answer';

export function registerLiveMetrics(registry: Registry): void {
  const answers = new Counter({
    name: 'dropscope_live_answers_total',
    help: 'Answers of live endpoints by report and source: computed, memo (an answer kept for its query and watermark), joined (a computation in flight).',
    labelNames: ['report', 'source'],
    registers: [registry],
  });
  installLiveAnswerMetrics({ answer: (report, source) => answers.inc({ report, source }) });
  new Gauge({
    name: 'dropscope_live_answer_memo_bytes',
    help: 'Bytes of live answers kept in the memo (bounded).',
    registers: [registry],
    collect() {
      this.set(liveAnswerMemo().size().bytes);
    },
  });
  new Gauge({
    name: 'dropscope_reports_in_progress',
    help: 'Heavy reports (drops, analysis, path pages) being computed, by state: active (holding one of DROPSCOPE_REPORT_CONCURRENCY slots) or waiting for one.',
    labelNames: ['state'],
    registers: [registry],
    collect() {
      const use = reportSlotUse();
      this.set({ state: 'active' }, use.active);
      this.set({ state: 'waiting' }, use.waiting);
    },
  });
}
