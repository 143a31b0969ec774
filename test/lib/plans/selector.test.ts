/** Path selectors: all probes, a label, or one probe by name. */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { formatSelector, matchesSelector, parseSelector, selectorProblem } from '../../../lib/plans/selector';

const eu = { name: 'edge-eu-1', labels: { region: 'eu', isp: 'acme' } };
const us = { name: 'edge-us-1', labels: { region: 'us' } };
const bare = { name: 'lab', labels: {} };

describe('selectors', () => {
  it.each([
    ['*', { kind: 'all' }],
    ['region=eu', { kind: 'label', key: 'region', value: 'eu' }],
    ['note=a=b', { kind: 'label', key: 'note', value: 'a=b' }],
    ['region=', { kind: 'label', key: 'region', value: '' }],
    ['edge-eu-1', { kind: 'probe', name: 'edge-eu-1' }],
  ])('parses %s', (text, selector) => {
    expect(parseSelector(text)).toEqual(selector);
    expect(formatSelector(parseSelector(text))).toBe(text);
  });

  it.each(['', ' ', 'edge eu', '-edge', '=eu', 'reg-ion=eu', `region=${'x'.repeat(129)}`, '**'])('refuses %j', (text) => {
    expect(selectorProblem(text)).not.toBeNull();
    expect(() => parseSelector(text)).toThrow(RangeError);
  });

  it('picks probes by all, label and name', () => {
    const picked = (text: string) => [eu, us, bare].filter((p) => matchesSelector(parseSelector(text), p)).map((p) => p.name);
    expect(picked('*')).toEqual(['edge-eu-1', 'edge-us-1', 'lab']);
    expect(picked('region=eu')).toEqual(['edge-eu-1']);
    expect(picked('region=')).toEqual([]);
    expect(picked('isp=acme')).toEqual(['edge-eu-1']);
    expect(picked('edge-us-1')).toEqual(['edge-us-1']);
    expect(picked('EDGE-US-1')).toEqual([]);
    // A label key that is an inherited property name is not a label.
    expect(picked('constructor=x')).toEqual([]);
  });

  it('a label selector picks exactly the probes with that label value', () => {
    fc.assert(
      fc.property(fc.dictionary(fc.constantFrom('region', 'isp', 'zone'), fc.constantFrom('eu', 'us', '')), fc.constantFrom('region', 'isp', 'zone'), fc.constantFrom('eu', 'us'), (labels, key, value) => {
        expect(matchesSelector(parseSelector(`${key}=${value}`), { name: 'p', labels })).toBe(labels[key] === value);
      }),
    );
  });
});
