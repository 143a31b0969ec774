/** The ingest settings of lib/config/server-env.ts: defaults, parsing, and what a bad value says. */
import { describe, expect, it } from 'vitest';
import { ConfigError, ingestSettingsOf, parseServerConfig } from '../../../lib/config/server-env';

const DAY = 86_400_000;

describe('ingest settings', () => {
  it('default to the raw retention for the window, 5 min of skew, 7 days of duration, 2000 events/s in bursts of 10000, 10 s for a body', () => {
    expect(ingestSettingsOf(parseServerConfig({}))).toEqual({
      limits: { maxAgeMs: 30 * DAY, skewMs: 300_000, maxDurationMs: 7 * DAY },
      rate: { eventsPerSecond: 2000, burst: 10_000 },
      bodyTimeoutMs: 10_000,
    });
    expect(ingestSettingsOf(parseServerConfig({ DROPSCOPE_RETENTION_RAW: '90d' })).limits.maxAgeMs).toBe(90 * DAY);
  });

  it('read periods and numbers from the environment', () => {
    const env = { DROPSCOPE_INGEST_MAX_AGE: '36h', DROPSCOPE_INGEST_CLOCK_SKEW: '1m', DROPSCOPE_INGEST_MAX_DURATION: '2d', DROPSCOPE_INGEST_RATE: '50.5', DROPSCOPE_INGEST_BURST: '6000', DROPSCOPE_INGEST_BODY_TIMEOUT_MS: '2500' };
    expect(ingestSettingsOf(parseServerConfig(env))).toEqual({
      limits: { maxAgeMs: 36 * 3_600_000, skewMs: 60_000, maxDurationMs: 2 * DAY },
      rate: { eventsPerSecond: 50.5, burst: 6000 },
      bodyTimeoutMs: 2500,
    });
  });

  it.each([
    ['DROPSCOPE_INGEST_MAX_AGE', 'a month', /DROPSCOPE_INGEST_MAX_AGE: expected a period/],
    ['DROPSCOPE_INGEST_MAX_DURATION', '-1', /DROPSCOPE_INGEST_MAX_DURATION: expected a period/],
    ['DROPSCOPE_INGEST_RATE', '0', /DROPSCOPE_INGEST_RATE/],
    ['DROPSCOPE_INGEST_BURST', '4999', /DROPSCOPE_INGEST_BURST: .*5000/],
    ['DROPSCOPE_INGEST_BODY_TIMEOUT_MS', '10', /DROPSCOPE_INGEST_BODY_TIMEOUT_MS/],
  ])('refuse a bad %s, naming it', (name, value, message) => {
    expect(() => parseServerConfig({ [name]: value })).toThrow(ConfigError);
    expect(() => parseServerConfig({ [name]: value })).toThrow(message);
  });
});
