import { describe, expect, it } from 'vitest';
import { unknownCanaries } from '../../../components/probes/live-probes';
import type { IngestEvent } from '../../../lib/contracts/ingest';
import { openSessionsReport } from '../../../lib/ingest/open-sessions-report';
import { ended, heartbeat, iso } from '../../helpers/events';

const listing = (ms: number, openSessions: unknown): IngestEvent => ({ ...heartbeat({ at: iso(ms) }), openSessions }) as IngestEvent;

describe('openSessionsReport', () => {
  it('takes the newest heartbeat that lists the probe\'s open sessions', () => {
    const r = openSessionsReport([listing(2000, ['a-000001']), heartbeat({ at: iso(9000) }), listing(5000, ['b-000001', 'c-000001']), ended('x-000001', 10), listing(1000, [])]);
    expect(r).toEqual({ at: new Date(iso(5000)), openSessions: ['b-000001', 'c-000001'] });
  });

  it('answers null without a listing heartbeat (an older agent), or with a malformed list', () => {
    expect(openSessionsReport([heartbeat(), ended('x-000001', 10)])).toBeNull();
    expect(openSessionsReport([listing(0, 'a-000001')])).toBeNull();
    expect(openSessionsReport([listing(0, [1, 2])])).toBeNull();
    expect(openSessionsReport([])).toBeNull();
  });

  it('takes an empty list as "holds nothing"', () => {
    expect(openSessionsReport([listing(0, [])])!.openSessions).toEqual([]);
  });
});

describe('unknownCanaries (probes page)', () => {
  it('counts the canaries offline probes held when last heard from', () => {
    expect(
      unknownCanaries([
        { state: 'online', canaries: { open: 5 } },
        { state: 'offline', canaries: { open: 3 } },
        { state: 'offline', canaries: { open: null } },
        { state: 'revoked', canaries: { open: 7 } },
        { state: 'never-seen', canaries: { open: null } },
      ]),
    ).toBe(3);
  });
});
