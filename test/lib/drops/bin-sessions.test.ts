import { describe, expect, it } from 'vitest';
import { finerAutoWidth } from '../../../lib/drops/bins';
import { binSessionsQuerySchema, binSessionsQueryString, formatBar, formatCursor, isBinSessionsQuery, parseBar, parseCursor } from '../../../lib/drops/bin-sessions';

describe('bar selection in the URL', () => {
  it.each([
    ['age:19500-20500', { measure: 'age', minMs: 19_500, maxMs: 20_500 }],
    ['duration:-500-500', { measure: 'duration', minMs: -500, maxMs: 500 }],
    ['idle:35000-', { measure: 'idle', minMs: 35_000, maxMs: null }],
    ['age:0.5-1.25', { measure: 'age', minMs: 0.5, maxMs: 1.25 }],
  ])('%s reads back', (text, bar) => {
    expect(parseBar(text)).toEqual(bar);
    expect(formatBar(parseBar(text)!)).toBe(text);
  });

  it.each(['', 'age', 'age:2000-1000', 'age:1000-1000', 'rtt:0-1000', 'age:1e3-2000', 'age:0-99999999999999', 'age: 0-1'])('refuses %j', (text) => {
    expect(parseBar(text)).toBeNull();
  });
});

describe('drill-down query', () => {
  const parse = (q: Record<string, string>) => binSessionsQuerySchema.safeParse(q);

  it('takes the scope, the bar and a page', () => {
    const r = parse({ range: '24h', proxy: 'squid', minDurationMs: '19500', maxDurationMs: '20500', measure: 'age', kind: 'drops', limit: '20' });
    expect(r.success).toBe(true);
    expect(r.data).toMatchObject({ range: '24h', proxy: 'squid', minDurationMs: 19_500, maxDurationMs: 20_500, measure: 'age', kind: 'drops', limit: 20 });
    expect(parse({ minDurationMs: '0' }).data).toMatchObject({ measure: 'duration', kind: 'ended', limit: 50 });
  });

  it.each([
    [{ minDurationMs: 'x' }, 'minDurationMs'],
    [{ minDurationMs: '2000', maxDurationMs: '1000' }, 'maxDurationMs'],
    [{ minDurationMs: '0', measure: 'age' }, 'kind'],
    [{ minDurationMs: '0', measure: 'idle', kind: 'ended' }, 'kind'],
    [{ minDurationMs: '0', limit: '201' }, 'limit'],
    [{ minDurationMs: '0', cursor: 'nope' }, 'cursor'],
    [{ minDurationMs: '0', range: '2y' }, 'range'],
    [{ minDurationMs: '0', measure: 'rtt' }, 'measure'],
  ])('refuses %j naming %s', (q, field) => {
    const r = parse(q);
    expect(r.success).toBe(false);
    expect(r.error!.issues.map((i) => i.path.join('.'))).toContain(field);
  });

  it('is chosen by the bar keys only', () => {
    expect(isBinSessionsQuery(new URLSearchParams('minDurationMs=0'))).toBe(true);
    expect(isBinSessionsQuery(new URLSearchParams('maxDurationMs=10'))).toBe(true);
    expect(isBinSessionsQuery(new URLSearchParams('proxy=squid&limit=5'))).toBe(false);
  });

  it('builds the API query from a page\'s query string, dropping the page\'s own keys', () => {
    const qs = binSessionsQueryString('range=1h&proxy=squid&bin=10s&scale=log&bar=age%3A1-2&tz=local', { measure: 'age', minMs: 15_000, maxMs: 25_000 }, 'drops', { cursor: '1_a', limit: 10 });
    expect(Object.fromEntries(new URLSearchParams(qs))).toEqual({ range: '1h', proxy: 'squid', minDurationMs: '15000', maxDurationMs: '25000', measure: 'age', kind: 'drops', cursor: '1_a', limit: '10' });
    const over = new URLSearchParams(binSessionsQueryString('', { measure: 'duration', minMs: 35_000, maxMs: null }, 'ended'));
    expect(over.has('maxDurationMs')).toBe(false);
    expect(binSessionsQuerySchema.safeParse(Object.fromEntries(new URLSearchParams(qs))).success).toBe(true);
  });

  it('reads its cursors back', () => {
    expect(parseCursor(formatCursor({ endedAtMicros: '1790000000123456', id: 's_a-1' }))).toEqual({ endedAtMicros: '1790000000123456', id: 's_a-1' });
    expect(parseCursor('abc_x')).toBeNull();
    expect(parseCursor('123_')).toBeNull();
  });
});

describe('finerAutoWidth', () => {
  it('picks the clipped axis\' width when one outlier squashes the automatic one', () => {
    // Centred 10 s bins: 53 drops at 20 s (bin 2), one at 9.7 min (bin 58).
    expect(finerAutoWidth([{ bin: 2, count: 53 }, { bin: 58, count: 1 }], 10_000)).toBe(1000);
  });

  it('keeps the width without an outlier', () => {
    expect(finerAutoWidth([{ bin: 2, count: 53 }, { bin: 5, count: 20 }], 10_000)).toBeNull();
    expect(finerAutoWidth([], 10_000)).toBeNull();
  });
});
