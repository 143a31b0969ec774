import { describe, expect, it } from 'vitest';
import { viewKey, viewPhaseMs } from '../../../lib/realtime/view-key';

describe('viewKey', () => {
  it('names a view by its path and its query in name order, whatever the order, origin or hash', () => {
    expect(viewKey('/api/v1/drops?range=24h&by=probe')).toBe('/api/v1/drops?by=probe&range=24h');
    expect(viewKey('http://a:3000/api/v1/drops?by=probe&range=24h#x')).toBe('/api/v1/drops?by=probe&range=24h');
    expect(viewKey('/api/v1/probes')).toBe('/api/v1/probes?');
    // Repeated names keep their order: label=a&label=b is another question than label=b&label=a.
    expect(viewKey('/x?label=b&label=a')).toBe('/x?label=b&label=a');
  });
});

describe('viewPhaseMs', () => {
  it('is the same for one view in any spelling, and lies in [0, period)', () => {
    const p = viewPhaseMs('/api/v1/drops?range=24h&by=probe', 10_000);
    expect(viewPhaseMs('/api/v1/drops?by=probe&range=24h', 10_000)).toBe(p);
    expect(Number.isInteger(p)).toBe(true);
    expect(p).toBeGreaterThanOrEqual(0);
    expect(p).toBeLessThan(10_000);
  });

  it('spreads the dashboard views over the period instead of stacking them at one instant', () => {
    const views = [
      '/api/v1/overview?window=1h',
      '/api/v1/drops?range=24h',
      '/api/v1/paths?range=24h',
      '/api/v1/paths/chat~mobile-de?range=24h',
      '/api/v1/handshakes?range=24h',
      '/api/v1/probes',
    ];
    const phases = views.map((v) => viewPhaseMs(v, 10_000));
    expect(new Set(phases).size).toBe(views.length);
    // Not bunched: the views occupy more than a quarter of the period.
    expect(Math.max(...phases) - Math.min(...phases)).toBeGreaterThan(2_500);
  });
});
