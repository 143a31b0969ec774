import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { deliveryOutcome, type TransitionDelivery } from '../../../lib/alerts/transition-delivery';

const none: TransitionDelivery = { messages: 0, delivered: 0, pending: 0, failed: 0, superseded: 0, receivers: 2 };
const of = (to: 'firing' | 'resolved' | 'pending' | 'inactive', d: Partial<TransitionDelivery>, silencedBy: number | null = null) => deliveryOutcome({ to, silencedBy, delivery: { ...none, ...d } });

describe('deliveryOutcome', () => {
  it('says nothing of transitions that notify no one', () => {
    expect(of('pending', {})).toEqual({ state: 'quiet', text: '' });
    expect(of('inactive', { messages: 1, delivered: 1 })).toEqual({ state: 'quiet', text: '' });
  });

  it('counts what was sent, retried, given up and superseded', () => {
    expect(of('firing', { messages: 2, delivered: 2 })).toEqual({ state: 'sent', text: 'sent to 2 receivers' });
    expect(of('resolved', { messages: 1, delivered: 1 })).toEqual({ state: 'sent', text: 'sent to 1 receiver' });
    expect(of('firing', { messages: 2, delivered: 1, pending: 1 })).toEqual({ state: 'sending', text: '1 of 2 delivered, 1 retrying' });
    expect(of('firing', { messages: 3, delivered: 1, pending: 1, failed: 1 })).toEqual({ state: 'failed', text: '1 of 3 delivered, 1 retrying, 1 given up' });
    expect(of('firing', { messages: 2, superseded: 2 })).toEqual({ state: 'superseded', text: 'not sent: it resolved before it went out' });
  });

  it('says why nothing was sent', () => {
    expect(of('firing', {}, 4)).toEqual({ state: 'held', text: '' });
    expect(of('resolved', { receivers: 0 })).toEqual({ state: 'no-receivers', text: 'no receivers: the rule tells no one' });
    expect(of('resolved', {})).toEqual({ state: 'unsent', text: 'not sent: no receiver was told it fired' });
    expect(of('firing', {})).toEqual({ state: 'unsent', text: 'not sent yet' });
  });

  it('a silenced firing sent when its silence ended reads as sent (the badge says it was held)', () => {
    expect(of('firing', { messages: 1, delivered: 1 }, 3)).toEqual({ state: 'sent', text: 'sent to 1 receiver' });
  });

  it('every notifying transition with messages says how many of them were delivered (property)', () => {
    fc.assert(
      fc.property(fc.nat(5), fc.nat(5), fc.nat(5), fc.nat(5), (delivered, pending, failed, superseded) => {
        const messages = delivered + pending + failed + superseded;
        fc.pre(messages > 0);
        const o = of('firing', { messages, delivered, pending, failed, superseded });
        expect(o.text.length).toBeGreaterThan(0);
        if (delivered < messages && superseded < messages) expect(o.text).toContain(`${delivered} of ${messages} delivered`);
      }),
    );
  });
});
