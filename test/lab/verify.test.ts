/**
 * A verified fix, end to end on a real daemon. First the passive part: idle canaries
 * through nginx (proxy_read_timeout N_S) are cut at N, idle canaries straight to the
 * origin and heartbeat canaries through nginx are not; the analysis finds the idle
 * signature and its fix, a heartbeat (lib/analysis/verdict.ts `fixOf`). Then the
 * experiment the server would ask for (server/experiments): a heartbeat canary with the
 * fix's interval, held for 3 × N and closed by the probe (`hold: ...`). It survives, and
 * the diagnosis marks the signature's fix verified, in its structured field and its verdict.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ProfileConfig } from '../../agent/config';
import { analyzeSessions } from '../../lib/analysis/analyze';
import { BUILTIN_LAYERS, userLayersSchema } from '../../lib/analysis/catalogue';
import type { Daemon } from './daemon';
import { experimentSessionsOfRuns, unitCanaries } from './experiments';
import { HEARTBEAT, IDLE, row, startTarget, type LabTarget } from './lab';
import { configuredCutMs, startNginx, wsLocation } from './proxies';
import { nAround, record } from './record';
import { runTogether, samplesOf } from './samples';

const N_S = 3;
const IDLE_N = 8;
const HEARTBEAT_N = 3;
/** Verification canaries held at once on the one path. */
const VERIFY_N = 2;
/** The idle batch is stopped this long after nginx's cut. */
const OUTLIVE_MS = 1500;

const LAB_LAYERS = userLayersSchema.parse([{ id: 'lab-nginx', name: 'lab nginx proxy_read_timeout', role: 'reverse-proxy', timeoutS: N_S, kind: 'idle', endings: ['fin'], headerHints: [{ header: 'server', pattern: 'nginx' }], setting: 'proxy_read_timeout' }]);
const LAYERS = [...BUILTIN_LAYERS, ...LAB_LAYERS];

let target: LabTarget | undefined;
let nginx: Daemon | undefined;

beforeAll(async () => {
  target = await startTarget();
  nginx = await startNginx(wsLocation('/', target.port, N_S), 'nginx-verify');
});

afterAll(async () => {
  await nginx?.stop().catch(() => {});
  await target?.close().catch(() => {});
});

describe('verify: the recommended heartbeat holds for 3 × N through the layer that cuts', () => {
  it(`nginx proxy_read_timeout ${N_S} s: idle signature, fix heartbeat, a held heartbeat survives ${3 * N_S} s, verdict "verified"`, async () => {
    const front = `ws://127.0.0.1:${nginx!.port}/canary`;
    const origin = `ws://127.0.0.1:${target!.port}/canary`;
    const passive = await runTogether(
      [
        ...unitCanaries(front, 'direct', IDLE, { target: 'nginx-front' }, IDLE_N),
        ...unitCanaries(origin, 'direct', IDLE, { target: 'origin' }, IDLE_N),
        ...unitCanaries(front, 'direct', HEARTBEAT, { target: 'nginx-front' }, HEARTBEAT_N),
      ],
      N_S * 1000 + OUTLIVE_MS,
    );
    const samples = await samplesOf(passive, target);
    const before = analyzeSessions(samples, LAYERS);
    const sig = before.signatures.find((s) => Math.abs(s.nMs - N_S * 1000) < 250);
    expect(sig, `a signature at ${N_S} s among ${before.signatures.map((s) => s.key).join(', ')}`).toBeDefined();
    console.log(`LAB | verify, before: ${sig!.verdict} ${sig!.recommendation} fix ${JSON.stringify(sig!.fix)}`);
    expect(sig!.kind).toBe('idle');
    expect(sig!.location).toMatchObject({ scope: 'target', value: 'nginx-front' });
    expect(sig!.fix.kind).toBe('heartbeat');
    expect(sig!.verification?.status).not.toBe('verified');
    const intervalMs = sig!.fix.kind === 'heartbeat' ? sig!.fix.intervalMs : 0;
    expect(intervalMs).toBeGreaterThan(0);
    expect(intervalMs).toBeLessThan(N_S * 1000);

    // The verification canary as server/experiments asks for it: the fix's interval, a pong
    // deadline of at most 10 s and not past the interval, held for 3 × N.
    const holdMs = 3 * Math.round(sig!.nMs);
    const verify: ProfileConfig = { name: `verify-hb-${intervalMs / 1000}s`, kind: 'heartbeat', interval: intervalMs, timeout: Math.min(10_000, intervalMs), hold: holdMs };
    const held = await runTogether(unitCanaries(front, 'direct', verify, { target: 'nginx-front' }, VERIFY_N), holdMs + 3000);
    for (const r of held) {
      expect(r.ended, 'the verification canary opened and ended').toBeDefined();
      row(`nginx ${N_S}s verify-hb`, `hold ${holdMs} ms, ping ${intervalMs} ms`, r.ended!);
      expect(r.ended!.endKind).toBe('probe_closed');
      expect(r.ended!.closeReason).toMatch(/^hold: held /);
      expect(r.ended!.durationMs).toBeGreaterThanOrEqual(holdMs);
      expect(r.ended!.path).toMatchObject({ holdMs, intervalMs });
    }

    // The server reads every session in scope: the verification canaries are sessions too.
    const allSamples = [...samples, ...(await samplesOf(held, target))];
    const experiments = experimentSessionsOfRuns([...passive, ...held]);
    const after = analyzeSessions(allSamples, LAYERS, { experiments });
    const verified = after.signatures.find((s) => s.key === sig!.key);
    expect(verified).toBeDefined();
    console.log(`LAB | verify, after: ${verified!.verdict} | ${JSON.stringify(verified!.verification)}`);
    expect(verified!.verification).toMatchObject({ status: 'verified', fix: { kind: 'heartbeat', intervalMs }, holdMs });
    expect(verified!.verification!.paths).toEqual([expect.objectContaining({ probe: 'lab', target: 'nginx-front', proxy: 'direct', outcome: 'held' })]);
    expect(verified!.verdict).toMatch(new RegExp(`\\bverified: a ${intervalMs / 1000} s heartbeat survived 3 × N`, 'i'));
    expect(after.diagnosis.verifications).toEqual([expect.objectContaining({ signature: sig!.key, status: 'verified' })]);

    // For the scorecard, labelled from nginx's configuration.
    await record({
      name: 'verify-heartbeat-nginx-3s',
      classes: ['lab', 'verified'],
      sessions: allSamples,
      layers: LAB_LAYERS,
      experiments,
      expect: {
        signatures: [{ nMs: nAround(configuredCutMs('nginx', N_S)), kind: 'idle', place: { scope: 'target', value: 'nginx-front' }, software: 'nginx', endedBy: 'layer' }],
        diagnosis: { verifications: [{ nMs: nAround(configuredCutMs('nginx', N_S)), status: 'verified' }] },
      },
    });
  }, 40_000);
});
