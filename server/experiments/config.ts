/**
 * The experiment scheduler's setting, from the environment (parsed like lib/config's, a bad
 * value stops the server naming the variable): DROPSCOPE_EXPERIMENTS=off stops the server
 * from asking probes for experiments (issue 18). Experiments already asked run until they
 * conclude or expire; the probes' own paths are never touched.
 */
import { z } from 'zod';
import { ConfigError } from '../../lib/config/server-env';
import { describeIssues, fieldIssues } from '../../lib/http/problem';

const experimentsEnvSchema = z.object({
  DROPSCOPE_EXPERIMENTS: z.enum(['on', 'off']).default('on'),
});

export type ExperimentsConfig = z.infer<typeof experimentsEnvSchema>;

/** @throws ConfigError naming the variable. */
export function parseExperimentsConfig(env: Record<string, string | undefined>): ExperimentsConfig {
  const parsed = experimentsEnvSchema.safeParse(env);
  if (!parsed.success) throw new ConfigError(`invalid configuration: ${describeIssues(fieldIssues(parsed.error), 10)}`);
  return parsed.data;
}
