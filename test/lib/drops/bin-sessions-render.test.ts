/** The bar's session list as the server renders it (no browser): links, instants through <Instant>, export columns. */
import { describe, expect, it } from 'vitest';
import { BinSessionRows, barLabel, binSessionColumns } from '../../../components/drops/bin-sessions';
import { toJson } from '../../../lib/dashboard/table-export';
import type { BinSession } from '../../../lib/drops/bin-sessions';
import { renderHtml, textOf } from '../../app/render';

const row: BinSession = {
  sessionId: 's-drill-0001',
  probe: 'edge-a',
  target: 'builtin',
  proxy: 'corp~lb',
  profile: 'idle',
  attemptedAt: '2026-11-01T11:59:40.000Z',
  endedAt: '2026-11-01T12:00:20.000Z',
  durationMs: 40_012,
  valueMs: 20_000,
  endKind: 'pong_timeout',
  closeCode: null,
  closeReason: null,
};

describe('BinSessionRows', () => {
  it('links each session to its path page and its record, the end through <Instant>', () => {
    const html = renderHtml(BinSessionRows, { rows: [row], measure: 'age', pathQuery: 'range=1h' });
    expect(html).toContain('href="/paths/builtin~corp%7Elb?range=1h"');
    expect(html).toContain('href="/api/v1/sessions/s-drill-0001"');
    expect(html).toContain('<time dateTime="2026-11-01T12:00:20.000Z"');
    const text = textOf(html);
    expect(text).toContain('2026-11-01 12:00:20');
    expect(text).toContain('pong deadline (silent)');
    // The measured value beside the duration when it is not the duration.
    expect(text).toMatch(/age/);
    expect(textOf(renderHtml(BinSessionRows, { rows: [row], measure: 'duration' }))).not.toMatch(/\bage\b/);
  });
});

describe('the list\'s export', () => {
  it('holds raw values: ISO instants and ms, the measured value when it is not the duration', () => {
    expect(JSON.parse(toJson(binSessionColumns('age'), [row]))).toEqual([
      { ended: '2026-11-01T12:00:20.000Z', probe: 'edge-a', target: 'builtin', proxy: 'corp~lb', profile: 'idle', duration_ms: 40_012, age_ms: 20_000, ending: 'pong_timeout', close_code: null, session: 's-drill-0001' },
    ]);
    expect(binSessionColumns('duration').map((c) => c.header)).not.toContain('duration_ms_ms');
    expect(binSessionColumns('duration').map((c) => c.header)).not.toContain('age_ms');
  });
});

describe('barLabel', () => {
  it('reads a bar and an overflow bar', () => {
    expect(barLabel({ measure: 'age', minMs: 15_000, maxMs: 25_000 })).toBe('15s – 25s');
    expect(barLabel({ measure: 'duration', minMs: -500, maxMs: 500 })).toMatch(/^0/);
    expect(barLabel({ measure: 'duration', minMs: 35_000, maxMs: null })).toBe('longer than 35s');
  });
});
