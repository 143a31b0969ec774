/**
 * Metrics of the live endpoints' shared answers (lib/realtime/live-answer.ts), on the
 * server's registry: how many answers were computed, and how many were served from the
 * memo or from a computation in flight. With many viewers, `computed` should grow with the
 * pushes (one per view and watermark), not with the viewers.
 */
import { Counter, Gauge, type Registry } from 'prom-client';
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
}
