/**
 * dropscope-target: the canary target on its own, to put behind your real chain (CDN,
 * load balancer, nginx) so each drop is seen from both ends. It reports its view of every
 * session's end to the backend with a token of its own (`dropscope probe add <name> --target`,
 * run with the same `--name`: the token may post only views under that name), through a
 * durable spool, like a probe.
 *
 *   dropscope-target --port 8080 [--host 0.0.0.0] [--name eu-behind-cdn] [--path /canary]
 *                    [--backend https://dropscope.example.com] [--spool-dir ./target-spool]
 *   token: DROPSCOPE_TARGET_TOKEN (never a flag: flags show up in `ps`)
 */
import { randomUUID } from 'node:crypto';
import { createServer } from 'node:http';
import { parseArgs } from 'node:util';
import { z } from 'zod';
import { startReporter } from '../agent/reporter';
import { Spool } from '../agent/spool';
import { createLogger, moduleLogger } from '../lib/log';
import { attachCanaryTarget, createCanaryTarget } from './canary-target';

const optionsSchema = z.object({
  port: z.coerce.number().int().min(0).max(65535),
  host: z.string().min(1).default('0.0.0.0'),
  name: z.string().regex(/^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/, 'expected letters, digits, ".", "_" or "-"').default('target'),
  path: z.string().regex(/^\/[^\s?#]*$/, 'expected a URL path like /canary').default('/canary'),
  backend: z.string().regex(/^https?:\/\/[^/]+/, 'expected the backend base URL').optional(),
  spoolDir: z.string().min(1).default('./dropscope-target-spool'),
  token: z.string().regex(/^dsp_[0-9]+_[A-Za-z0-9_-]{43}$/, 'expected a token from `dropscope probe add <name> --target`').optional(),
});

async function main(): Promise<number> {
  let values;
  try {
    values = parseArgs({
      options: { port: { type: 'string' }, host: { type: 'string' }, name: { type: 'string' }, path: { type: 'string' }, backend: { type: 'string' }, 'spool-dir': { type: 'string' } },
      strict: true,
    }).values;
  } catch (err) {
    process.stderr.write(`dropscope-target: ${(err as Error).message}\n`);
    return 2;
  }
  const parsed = optionsSchema.safeParse({ ...values, spoolDir: values['spool-dir'], token: process.env.DROPSCOPE_TARGET_TOKEN || undefined });
  if (!parsed.success) {
    process.stderr.write(`dropscope-target: ${parsed.error.issues.map((i) => `${i.path.join('.') === 'token' ? 'DROPSCOPE_TARGET_TOKEN' : `--${i.path.join('.')}`}: ${i.message}`).join('; ')}\n`);
    return 2;
  }
  const o = parsed.data;
  if (o.backend && !o.token) {
    process.stderr.write('dropscope-target: --backend needs DROPSCOPE_TARGET_TOKEN\n');
    return 2;
  }
  const log = moduleLogger(createLogger(), 'target', { name: o.name });

  const spool = o.backend ? await Spool.open(o.spoolDir, { maxBytes: 256 << 20, log: moduleLogger(log, 'spool') }) : null;
  const reporter =
    spool && o.backend && o.token
      ? startReporter({ spool, backendUrl: o.backend, token: o.token, backoff: { baseMs: 1000, capMs: 60_000 }, log: moduleLogger(log, 'reporter') })
      : null;
  const target = createCanaryTarget({
    name: o.name,
    path: o.path,
    onSessionEnded: (view) => {
      if (!spool) return;
      spool.append([{ type: 'target.session_ended', id: randomUUID(), ...view }]).catch((err: unknown) => log.error({ err }, 'spool append failed'));
    },
  });
  const server = createServer((_req, res) => res.writeHead(426, { 'content-type': 'text/plain' }).end(`dropscope canary target: connect a WebSocket to ${o.path}\n`));
  attachCanaryTarget(server, target);
  await new Promise<void>((resolve) => server.listen(o.port, o.host, resolve));
  const address = server.address();
  log.info({ port: typeof address === 'object' && address ? address.port : o.port, path: o.path, reporting: Boolean(reporter) }, 'canary target listening');

  await new Promise<void>((resolve) => {
    process.once('SIGINT', () => resolve());
    process.once('SIGTERM', () => resolve());
  });
  await target.close();
  await new Promise((r) => server.close(r));
  if (reporter) {
    await Promise.race([reporter.flush(), new Promise((r) => setTimeout(r, 5000).unref())]);
    await reporter.stop();
  }
  await spool?.close();
  return 0;
}

main().then(
  (code) => process.exit(code),
  (err: unknown) => {
    process.stderr.write(`dropscope-target: ${(err as Error).stack ?? String(err)}\n`);
    process.exit(1);
  },
);
