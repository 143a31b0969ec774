/** The plan status sender against a real node:http server on 127.0.0.1, port 0. */
import { createServer, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createStatusSender } from '../../../agent/plan/status';
import { PLAN_STATUS_PATH, type PlanStatusReport } from '../../../lib/contracts/plan';
import { createLogger } from '../../../lib/log';

const TOKEN = `dsp_4_${'s'.repeat(43)}`;
const report = (appliedVersion: string): PlanStatusReport => ({ appliedVersion, paths: [], truncated: false });

describe('plan status sender', () => {
  let server: Server;
  let url: string;
  let received: { auth: string | undefined; path: string | undefined; body: PlanStatusReport }[];
  let hold: ((res: ServerResponse) => void) | null;
  let logText: string;

  beforeEach(async () => {
    received = [];
    hold = null;
    logText = '';
    server = createServer((req, res) => {
      let body = '';
      req.on('data', (c: Buffer) => (body += c));
      req.on('end', () => {
        received.push({ auth: req.headers.authorization, path: req.url, body: JSON.parse(body) as PlanStatusReport });
        if (hold) hold(res);
        else res.writeHead(204).end();
      });
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterEach(async () => {
    server.closeAllConnections();
    await new Promise((r) => server.close(r));
    expect(logText).not.toContain(TOKEN);
  });

  const sender = () => createStatusSender({ backendUrl: url, token: TOKEN, log: createLogger({ level: 'info', destination: { write: (s: string) => void (logText += s) } }) });

  it('posts with the bearer token; while one is in flight, only the latest waiting report follows it', async () => {
    const s = sender();
    let release!: () => void;
    const held: ServerResponse[] = [];
    hold = (res) => {
      held.push(res);
      release = () => {
        hold = null;
        for (const r of held) r.writeHead(204).end();
      };
    };
    const first = s.send(report('a'));
    await new Promise<void>((r) => {
      const check = () => (received.length === 1 ? r() : setTimeout(check, 5));
      check();
    });
    void s.send(report('b'));
    const last = s.send(report('c'));
    release();
    await first;
    await last;
    expect(received.map((r) => r.body.appliedVersion)).toEqual(['a', 'c']);
    expect(received[0]).toMatchObject({ auth: `Bearer ${TOKEN}`, path: PLAN_STATUS_PATH });
    await s.stop();
  });

  it('a refused report is logged once per failing streak, never thrown', async () => {
    hold = (res) => res.writeHead(400, { 'content-type': 'application/json' }).end('{"error":{"code":"API_ERR_SCHEMA"}}');
    const s = sender();
    await s.send(report('a'));
    await s.send(report('b'));
    expect(logText.match(/did not take the plan status/g)).toHaveLength(1);
    hold = null;
    await s.send(report('c'));
    expect(logText).toMatch(/plan status reported again/);
    await s.stop();
    await s.send(report('d'));
    expect(received.map((r) => r.body.appliedVersion)).toEqual(['a', 'b', 'c']);
  });
});
