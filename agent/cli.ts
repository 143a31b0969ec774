/**
 * dropscope-agent: holds canary WebSockets to the configured targets, directly and through
 * proxies, and ships every attempt and ending to the dropscope backend.
 *
 *   dropscope-agent --config probe.yaml           run
 *   dropscope-agent --config probe.yaml --check   validate and print the plan, connect nothing
 *   dropscope-agent --version
 *
 * Exit codes: 0 stopped cleanly, 1 runtime failure, 2 bad usage or configuration.
 */
import { parseArgs } from 'node:util';
import { createLogger, moduleLogger } from '../lib/log';
import { ConfigError, describePlan, describeServerPlan, loadProbeConfig } from './config';
import { startProbe } from './probe';
import { SpoolError } from './spool';
import { AGENT_VERSION } from './version';

const USAGE = `usage: dropscope-agent --config <probe.yaml> [--check]
       dropscope-agent --version`;

async function main(): Promise<number> {
  let args;
  try {
    args = parseArgs({
      options: { config: { type: 'string', short: 'c' }, check: { type: 'boolean' }, version: { type: 'boolean' }, help: { type: 'boolean', short: 'h' } },
      strict: true,
    }).values;
  } catch (err) {
    process.stderr.write(`dropscope-agent: ${(err as Error).message}\n${USAGE}\n`);
    return 2;
  }
  if (args.version) {
    process.stdout.write(`${AGENT_VERSION}\n`);
    return 0;
  }
  if (args.help || !args.config) {
    process.stderr.write(`${USAGE}\n`);
    return args.help ? 0 : 2;
  }

  let plan;
  try {
    plan = loadProbeConfig(args.config);
  } catch (err) {
    if (err instanceof ConfigError) {
      process.stderr.write(`dropscope-agent: invalid configuration\n  ${err.message}\n`);
      return 2;
    }
    throw err;
  }
  if (args.check) {
    process.stdout.write(`${args.config}: OK\n${describePlan(plan)}\n${describeServerPlan(plan.config)}\n`);
    return 0;
  }

  const log = moduleLogger(createLogger(), 'agent', { version: AGENT_VERSION });
  let probe;
  try {
    probe = await startProbe(plan, log);
  } catch (err) {
    // The spool directory in use, or not usable (read-only, full, not a directory): one line, no stack.
    if (err instanceof SpoolError && (err.code === 'PROBE_ERR_SPOOL_LOCKED' || err.code === 'PROBE_ERR_SPOOL_UNUSABLE')) {
      process.stderr.write(`dropscope-agent: ${err.message}\n`);
      return 1;
    }
    throw err;
  }
  await new Promise<void>((resolve) => {
    const stop = (signal: string) => {
      log.info({ signal }, 'stopping');
      resolve();
    };
    process.once('SIGINT', () => stop('SIGINT'));
    process.once('SIGTERM', () => stop('SIGTERM'));
  });
  await probe.stop();
  return 0;
}

main().then(
  (code) => process.exit(code),
  (err: unknown) => {
    process.stderr.write(`dropscope-agent: ${(err as Error).stack ?? String(err)}\n`);
    process.exit(1);
  },
);
