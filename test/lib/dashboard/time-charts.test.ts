/**
 * Pieces of the time charts and pages that need no browser: the handshake chart's bucket
 * labels in either zone, the dial-phases export, and the ignored-parameters notice.
 */
import { createElement } from 'react';
import { renderToStaticMarkup } from 'react-dom/server';
import { describe, expect, it } from 'vitest';
import { IgnoredParams } from '../../../components/dashboard/query-notice';
import { bucketLabel } from '../../../components/handshakes/ratio-chart';
import { PHASE_EXPORT_COLUMNS } from '../../../components/paths/phases-chart';
import { toCsv } from '../../../lib/dashboard/table-export';

const HOUR = 3_600_000;

describe('bucketLabel', () => {
  const t = Date.parse('2026-11-22T23:30:00Z');
  it('writes times of day for short buckets, dates for day buckets, in UTC', () => {
    expect(bucketLabel(t, 60_000, 'utc')).toBe('23:30');
    expect(bucketLabel(t, HOUR, 'utc')).toBe('11-22 23:30');
    expect(bucketLabel(t, 24 * HOUR, 'utc')).toBe('11-22');
    expect(bucketLabel(Date.parse('2026-11-23T00:00:00Z'), 60_000, 'utc')).toBe('11-23 00:00');
  });

  it('writes the same instant in the local zone when asked', () => {
    // 23:30 UTC is 08:30 the next day in Tokyo (no daylight saving).
    expect(bucketLabel(t, 60_000, 'local', 'Asia/Tokyo')).toBe('08:30');
    expect(bucketLabel(t, 24 * HOUR, 'local', 'Asia/Tokyo')).toBe('11-23');
    // Midnight local, not midnight UTC, gets its date.
    expect(bucketLabel(Date.parse('2026-11-22T15:00:00Z'), 60_000, 'local', 'Asia/Tokyo')).toBe('11-23 00:00');
  });
});

describe('dial phases export', () => {
  it('exports every phase with raw milliseconds', () => {
    const csv = toCsv(PHASE_EXPORT_COLUMNS, [
      { phase: 'dns', count: 3, p50Ms: 1.5, p95Ms: 2 },
      { phase: 'tls', count: 0, p50Ms: null, p95Ms: null },
    ]);
    expect(csv).toBe('phase,medianMs,p95Ms,attempts\r\ndns,1.5,2,3\r\ntls,,,0\r\n');
  });
});

describe('the ignored-parameters notice', () => {
  it('names what was ignored and links to the page without it', () => {
    const html = renderToStaticMarkup(createElement(IgnoredParams, { ignored: ['utm_source'], cleanHref: '/paths?range=1h' }));
    expect(html).toContain('data-testid="ignored-params"');
    expect(html).toContain('Ignored unknown parameter utm_source');
    expect(html).toContain('href="/paths?range=1h"');
  });

  it('renders nothing when nothing was ignored', () => {
    expect(renderToStaticMarkup(createElement(IgnoredParams, { ignored: [], cleanHref: '/paths' }))).toBe('');
  });
});
