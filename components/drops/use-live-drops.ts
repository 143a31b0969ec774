'use client';
/**
 * The drops report kept live: every socket.io push schedules a throttled refetch of
 * GET /api/v1/drops with the page's own query string (a relative range moves with the
 * clock). Answers are parsed with zod before they reach state.
 */
import { dropsReportSchema, type DropsReport } from '../../lib/drops/report';
import { useLiveReport, type LiveReport } from '../live/use-live-report';

export function useLiveDrops(initial: DropsReport, query: string): LiveReport<DropsReport> {
  return useLiveReport(initial, { url: `/api/v1/drops${query}`, schema: dropsReportSchema, spans: { kind: 'scope' } });
}
