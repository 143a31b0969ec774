import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ingestDeps } from '../../app/api/v1/ingest/deps';
import { readsRunConcurrently, type Database } from '../../db/client';
import { analysisReport } from '../../db/queries/analysis-report';
import { refusalGroups } from '../../db/queries/findings';
import { storeBatch } from '../../db/queries/ingest';
import { addProbe } from '../../db/queries/probes';
import { BUILTIN_LAYERS } from '../../lib/analysis/catalogue';
import type { IngestEvent } from '../../lib/contracts/ingest';
import { handleIngest } from '../../lib/ingest/handle-ingest';
import { createLogger } from '../../lib/log';
import { backends } from '../helpers/databases';
import { ended, failed, opened, path, rtt, T0 } from '../helpers/events';

const at = (ms: number) => new Date(T0.getTime() + ms).toISOString();

describe.each(backends())('findings on $name', (backend) => {
  let database: Database;
  beforeAll(async () => {
    database = await backend.open();
    const { probe } = await addProbe(database.db, { name: 'edge-1', labels: {} });
    const squid = path({ proxy: 'squid', kind: 'http' });
    const mobile = path({ proxy: 'mobile', kind: 'socks5' });
    const events: IngestEvent[] = [];
    for (let i = 0; i < 5; i++) {
      // Upgrades through squid come back 426; direct ones open.
      events.push(failed(`s-refu${i}000`, { path: squid, httpStatus: 426, attemptedAt: at(i * 1000), responseHeaders: { server: 'squid/5.7' } }));
      events.push(opened(`s-dire${i}000`, { attemptedAt: at(i * 1000) }));
      // Silent deaths through mobile after 40 s of quiet.
      events.push(ended(`s-sile${i}000`, 70_000, { path: mobile, attemptedAt: at(i * 1000), endKind: 'pong_timeout', sinceLastRecvMs: 40_000 }));
      // Ladder: 30 s survives, 90 s dies at 60 s.
      const l30 = { ...path(), profile: 'ladder/30s', profileKind: 'ladder' as const, gapMs: 30_000 };
      const l90 = { ...path(), profile: 'ladder/90s', profileKind: 'ladder' as const, gapMs: 90_000 };
      events.push(ended(`s-l30${i}000`, 30_010, { path: l30, attemptedAt: at(i * 1000), endKind: 'probe_closed', closeReason: 'ladder: survived 30s idle' }));
      events.push(ended(`s-l90${i}000`, 60_000, { path: l90, attemptedAt: at(i * 1000), endKind: 'tcp_fin' }));
    }
    // A rotating egress: each new session through mobile opens with a new address right as the previous one drops.
    for (let i = 0; i < 4; i++) {
      const rot = path({ proxy: 'rotating', kind: 'socks5' });
      events.push(opened(`s-rot${i}0000`, { path: rot, attemptedAt: at(100_000 + i * 20_000), openedAt: at(100_000 + i * 20_000), egressAddress: `203.0.113.${i + 1}` }));
      events.push(ended(`s-rot${i}0000`, 19_990, { path: rot, attemptedAt: at(100_000 + i * 20_000), endedAt: at(100_000 + i * 20_000 + 19_990), endKind: 'tcp_reset' }));
    }
    // RTT on a congested path: 10 ms for most of the hour, 200 ms in the minutes before its drops.
    const congested = path({ proxy: 'congested', kind: 'http' });
    events.push(rtt('s-rttbase0', Array.from({ length: 120 }, () => 10), { path: congested }, new Date(T0.getTime() + 600_000)));
    for (let i = 0; i < 3; i++) {
      const dropAt = T0.getTime() + 1_800_000 + i * 600_000;
      events.push(rtt(`s-rttcong${i}`, Array.from({ length: 20 }, () => 200), { path: congested }, new Date(dropAt - 150_000)));
      events.push(ended(`s-rttcong${i}`, 30_000, { path: congested, endedAt: new Date(dropAt).toISOString(), endKind: 'tcp_reset' }));
    }
    await storeBatch(database.db, probe.id, events, new Date());
  });
  afterAll(() => database.close());

  it('reports refusals, silent deaths, ladder results and egress rotation, each with a fix', async () => {
    const r = await analysisReport(database.db, { from: new Date(T0.getTime() - 60_000), to: new Date(T0.getTime() + 3_600_000) }, { now: new Date(T0.getTime() + 3_600_000), layers: BUILTIN_LAYERS });
    const by = (k: string) => r.findings.filter((f) => f.kind === k);
    expect(by('refusal')[0]).toMatchObject({ severity: 'critical', title: 'HTTP 426 on upgrade through proxy squid to canary' });
    expect(by('refusal')[0]!.detail).toContain('strips the Upgrade and Connection headers');
    expect(by('silent-death')[0]!.title).toBe('5 silent deaths through mobile to canary from edge-1');
    expect(by('silent-death')[0]!.detail).toContain('40.0 s of quiet');
    expect(by('ladder')[0]!.title).toBe('edge-1 → direct → canary: survives 30 s idle, dies by 90 s');
    expect(by('ladder')[0]!.recommendation).toContain('at least every 15 s');
    expect(by('egress-rotation')[0]).toMatchObject({ severity: 'critical', title: 'rotating from edge-1: egress address changed 3 times (4 addresses)' });
    expect(by('egress-rotation')[0]!.recommendation).toContain('sticky sessions');
    expect(by('rtt-rise')).toHaveLength(1);
    expect(by('rtt-rise')[0]!.title).toBe('RTT rises before drops through congested to canary');
  });

  it('gives the same report when its statements run at once (PostgreSQL pools them; PGlite only when told)', async () => {
    const scope = { from: new Date(T0.getTime() - 60_000), to: new Date(T0.getTime() + 3_600_000) };
    const options = { now: new Date(T0.getTime() + 3_600_000), layers: BUILTIN_LAYERS };
    const one = await analysisReport(database.db, scope, options);
    expect(readsRunConcurrently(database)).toBe(database.kind === 'postgres');
    if (!readsRunConcurrently(database)) return;
    expect(await analysisReport(database.db, scope, { ...options, concurrent: true })).toEqual(one);
  });
});

/**
 * Refusals as the agent reports them (the headers and body excerpts squid 5.7, nginx 1.22.1
 * and HAProxy really send, test/lib/analysis/refusals.test.ts), posted through the ingest
 * handler (the contract's schema, then storage): the groups carry the latest attempt's
 * evidence and the findings its class.
 */
describe.each(backends())('refusal evidence on $name', (backend) => {
  let database: Database;
  const scope = { from: new Date(T0.getTime() - 60_000), to: new Date(T0.getTime() + 3_600_000) };
  const squidPage = 'ERROR: The requested URL could not be retrieved - The following error was encountered while trying to retrieve the URL: 127.0.0.1:33347';

  beforeAll(async () => {
    database = await backend.open();
    const { token } = await addProbe(database.db, { name: 'edge-1', labels: {} });
    const squid = path({ proxy: 'squid', kind: 'http' });
    const dante = path({ proxy: 'dante', kind: 'socks5' });
    const api = path({ target: 'api' });
    const events: IngestEvent[] = [];
    for (let i = 0; i < 4; i++) {
      const attemptedAt = at(i * 1000);
      // squid's CONNECT to a closed port: the latest attempt's excerpt is the one kept.
      events.push(
        failed(`s-sqcf${i}000`, {
          path: squid,
          attemptedAt,
          outcome: 'proxy_refused',
          httpStatus: undefined,
          proxyReply: 'HTTP/1.1 503 Service Unavailable (Server: squid/5.7)',
          errorCode: 'PROXY_HTTP_503',
          errorMessage: 'proxy refused CONNECT: HTTP/1.1 503 Service Unavailable (Server: squid/5.7)',
          responseHeaders: { server: 'squid/5.7', 'x-squid-error': 'ERR_CONNECT_FAIL 111' },
          bodyExcerpt: i === 3 ? squidPage : `an older page ${i}`,
        }),
      );
      // nginx in front of the target, its upstream down.
      events.push(failed(`s-ngx5${i}000`, { attemptedAt, httpStatus: 502, errorCode: 'HTTP_502', errorMessage: 'upgrade refused: HTTP 502 Bad Gateway', responseHeaders: { server: 'nginx/1.22.1' }, bodyExcerpt: '502 Bad Gateway - nginx/1.22.1' }));
      // HAProxy in front of api: no Server header, only its page says who wrote it.
      events.push(failed(`s-hap5${i}000`, { path: api, attemptedAt, httpStatus: 503, errorCode: 'HTTP_503', bodyExcerpt: '503 Service Unavailable - No server is available to handle this request.' }));
      // dante's reply 5, and dante not answering the SOCKS request in time.
      events.push(failed(`s-dnte${i}000`, { path: dante, attemptedAt, outcome: 'proxy_refused', httpStatus: undefined, proxyReply: 'Socks5 proxy rejected connection - ConnectionRefused', errorCode: 'SOCKS_CONNECTIONREFUSED', errorMessage: 'proxy refused: Socks5 proxy rejected connection - ConnectionRefused' }));
      events.push(failed(`s-dnto${i}000`, { path: { ...dante, target: { name: 'api', url: 'ws://127.0.0.1:9/api' } }, attemptedAt, outcome: 'dial_failed', httpStatus: undefined, errorCode: 'ETIMEDOUT', errorMessage: 'proxy: no SOCKS reply within the dial timeout' }));
    }
    const request = new Request('http://127.0.0.1/api/v1/ingest', { method: 'POST', headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` }, body: JSON.stringify({ events }) });
    const response = await handleIngest(request, ingestDeps(database.db, { publisher: { publish: () => {} }, maxBodyBytes: 1024 * 1024, log: createLogger({ level: 'silent' }), now: () => new Date(T0.getTime() + 3_600_000) }));
    expect(response.status, await response.clone().text()).toBe(200);
  });
  afterAll(() => database.close());

  it('groups refusals with the latest attempt\'s headers, error code, message and body excerpt', async () => {
    const groups = await refusalGroups(database.db, scope);
    const by = (proxy: string, target = 'canary') => groups.find((g) => g.proxy === proxy && g.target === target);
    expect(groups).toHaveLength(5);
    expect(by('squid')).toMatchObject({
      outcome: 'proxy_refused',
      reason: 'HTTP/1.1 503 Service Unavailable (Server: squid/5.7)',
      server: 'squid/5.7',
      count: 4,
      headers: { server: 'squid/5.7', 'x-squid-error': 'ERR_CONNECT_FAIL 111' },
      errorCode: 'PROXY_HTTP_503',
      errorMessage: 'proxy refused CONNECT: HTTP/1.1 503 Service Unavailable (Server: squid/5.7)',
      bodyExcerpt: squidPage,
    });
    expect(by('direct')).toMatchObject({ reason: '502', headers: { server: 'nginx/1.22.1' }, errorCode: 'HTTP_502', bodyExcerpt: '502 Bad Gateway - nginx/1.22.1' });
    // Nothing kept: an empty object and nulls, not absent fields.
    expect(by('direct', 'api')).toMatchObject({ reason: '503', server: null, headers: {}, errorCode: 'HTTP_503', errorMessage: null, bodyExcerpt: '503 Service Unavailable - No server is available to handle this request.' });
    expect(by('dante')).toMatchObject({ headers: {}, errorCode: 'SOCKS_CONNECTIONREFUSED', bodyExcerpt: null });
    expect(by('dante', 'api')).toMatchObject({ outcome: 'dial_failed', reason: 'ETIMEDOUT', errorMessage: 'proxy: no SOCKS reply within the dial timeout' });
  });

  it('reports each refusal with its cause and the evidence that decided it', async () => {
    const r = await analysisReport(database.db, scope, { now: scope.to, layers: BUILTIN_LAYERS });
    const refusals = r.findings.filter((f) => f.kind === 'refusal');
    const causeOf = (title: string) => refusals.find((f) => f.title === title);
    expect(refusals).toHaveLength(5);
    expect(causeOf('proxy refusal "HTTP/1.1 503 Service Unavailable (Server: squid/5.7)" through proxy squid to canary')).toMatchObject({ cause: 'connect-port-closed', detail: expect.stringContaining('X-Squid-Error: ERR_CONNECT_FAIL 111') });
    expect(causeOf('HTTP 502 on upgrade directly to canary')).toMatchObject({ cause: 'proxy-upstream-unreachable', detail: expect.stringContaining('Server: nginx/1.22.1') });
    expect(causeOf('HTTP 503 on upgrade directly to api')).toMatchObject({ cause: 'proxy-upstream-unreachable', detail: expect.stringContaining('No server is available') });
    expect(causeOf('proxy refusal "Socks5 proxy rejected connection - ConnectionRefused" through proxy dante to canary')).toMatchObject({ cause: 'connect-port-closed', detail: expect.stringContaining('SOCKS reply 5 (connection refused)') });
    expect(causeOf('dial failure ETIMEDOUT through proxy dante to api')).toMatchObject({ cause: 'dial-timeout', detail: expect.stringContaining('in the proxy handshake') });
  });
});
