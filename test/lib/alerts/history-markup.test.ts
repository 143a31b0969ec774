/** The alert history's header, rendered on the server: it counts what it shows, and says nothing of an empty list. */
import { createElement } from 'react';
import { renderToStaticMarkup } from 'react-dom/server';
import { SearchParamsContext } from 'next/dist/shared/lib/hooks-client-context.shared-runtime';
import { describe, expect, it } from 'vitest';
import { AlertHistory } from '../../../components/alerts/history-table';
import type { TransitionView, WithSeen } from '../../../components/alerts/types';
import { textOf } from '../../app/render';

const transition = (id: number): WithSeen<TransitionView> => ({
  id, ruleId: 1, rule: 'drops', severity: 'critical', labels: { target: 'builtin' }, from: 'pending', to: 'firing', at: '2026-12-01T10:00:00.000Z', value: 3, evidence: {}, seen: null,
  silencedBy: null, delivery: { messages: 1, delivered: 1, pending: 0, failed: 0, superseded: 0, receivers: 1 },
});
const header = (history: WithSeen<TransitionView>[]) => {
  const html = renderToStaticMarkup(createElement(SearchParamsContext.Provider, { value: new URLSearchParams() }, createElement(AlertHistory, { history })));
  return textOf(html.slice(0, html.indexOf('</h2>') + 400));
};

describe('the alert history header', () => {
  it('counts the transitions it shows, and is silent when there are none', () => {
    expect(header([])).not.toContain('transition');
    expect(header([transition(1)])).toContain('one transition');
    expect(header([transition(1), transition(2)])).toContain('latest 2 transitions');
  });
});
