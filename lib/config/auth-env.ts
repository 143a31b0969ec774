/**
 * Sign-in configuration, from the environment: session lifetime, the first admin, single
 * sign-on through an OpenID provider, and where /metrics is served. Parsed with zod like
 * server-env.ts; a bad value stops the server naming the variable.
 */
import { z } from 'zod';
import { isRole, roleAtLeast, type Role } from '../auth/roles';
import { describeIssues, fieldIssues } from '../http/problem';
import { AllowListError, parseAllowList } from '../net/allow-list';
import { parseRetention } from '../retention/partitions';
import { ConfigError } from './server-env';

const blankIsAbsent = <T extends z.ZodType>(schema: T) => schema.optional().or(z.literal('').transform(() => undefined));

/** `group=role` pairs, comma separated; `*` matches every signed-in person. */
export function parseRoleMap(text: string): { claimValue: string; role: Role }[] | string {
  const out: { claimValue: string; role: Role }[] = [];
  for (const part of text.split(',').map((p) => p.trim()).filter(Boolean)) {
    const m = /^([^=\s]+)=([a-z]+)$/.exec(part);
    if (!m) return `expected value=role pairs such as "sre-admins=admin,sre=editor,*=viewer", got ${JSON.stringify(part)}`;
    if (!isRole(m[2])) return `unknown role ${JSON.stringify(m[2])} in ${JSON.stringify(part)}; expected viewer, editor or admin`;
    out.push({ claimValue: m[1]!, role: m[2] });
  }
  return out;
}

const authEnvSchema = z
  .object({
    /** How long a sign-in lasts without use (`12h`, `7d`). */
    DROPSCOPE_SESSION_MAX_AGE: z
      .string()
      .default('7d')
      .transform((text, ctx) => {
        const ms = parseRetention(text);
        if (ms === null || ms < 60_000) {
          ctx.addIssue({ code: 'custom', message: `expected a period of at least a minute such as 12h or 7d, got ${JSON.stringify(text)}` });
          return z.NEVER;
        }
        return ms;
      }),
    /** Create this admin at start when nobody has an account yet (unattended installs). */
    DROPSCOPE_ADMIN_EMAIL: blankIsAbsent(z.email({ error: 'expected an email address' })),
    DROPSCOPE_ADMIN_PASSWORD: blankIsAbsent(z.string().min(12, 'expected at least 12 characters')),
    /** OpenID Connect single sign-on: the issuer's URL (discovery at /.well-known/openid-configuration). */
    DROPSCOPE_OIDC_ISSUER: blankIsAbsent(z.url({ protocol: /^https?$/, error: 'expected an http:// or https:// URL' })),
    DROPSCOPE_OIDC_CLIENT_ID: blankIsAbsent(z.string().min(1)),
    DROPSCOPE_OIDC_CLIENT_SECRET: blankIsAbsent(z.string().min(1)),
    /** The button's label on the sign-in page. */
    DROPSCOPE_OIDC_NAME: z.string().min(1).max(60).default('single sign-on'),
    DROPSCOPE_OIDC_SCOPES: z.string().default('openid email profile groups'),
    /** The ID token or userinfo claim that holds the person's groups or roles. */
    DROPSCOPE_OIDC_ROLE_CLAIM: z.string().min(1).default('groups'),
    /** Claim values to roles; the highest matching role wins; nobody matched cannot sign in. */
    DROPSCOPE_OIDC_ROLE_MAP: z
      .string()
      .default('*=viewer')
      .transform((text, ctx) => {
        const map = parseRoleMap(text);
        if (typeof map === 'string') {
          ctx.addIssue({ code: 'custom', message: map });
          return z.NEVER;
        }
        return map;
      }),
    /** How often open live connections are checked again (a session ended, a token revoked). */
    DROPSCOPE_LIVE_RECHECK_MS: z.coerce.number().int().min(100).max(3_600_000).default(60_000),
    /**
     * Reverse proxies in front of the server (CIDRs): behind them the client's address, which
     * sign-in attempts are limited by, is read from X-Forwarded-For (lib/http/client-address.ts).
     */
    DROPSCOPE_TRUSTED_PROXIES: z
      .string()
      .default('')
      .transform((text, ctx) => {
        try {
          const list = parseAllowList(text);
          const name = list.entries.find((e) => !/^[0-9a-fA-F:.[\]]+(\/\d{1,3})?$/.test(e));
          if (name) throw new AllowListError(`${JSON.stringify(name)} is not a CIDR: list the proxies' addresses (127.0.0.1/32, 10.0.0.0/8)`);
          return list.entries.length > 0 ? list : null;
        } catch (err) {
          if (!(err instanceof AllowListError)) throw err;
          ctx.addIssue({ code: 'custom', message: err.message });
          return z.NEVER;
        }
      }),
    /** Serve /metrics without a token on this address only (`127.0.0.1:9464`); otherwise it needs a bearer token. */
    DROPSCOPE_METRICS_LISTEN: blankIsAbsent(z.string().regex(/^(\[[0-9a-fA-F:.]+\]|[A-Za-z0-9.-]+):\d{1,5}$/, 'expected host:port, e.g. 127.0.0.1:9464')),
  })
  .superRefine((env, ctx) => {
    if (!!env.DROPSCOPE_ADMIN_EMAIL !== !!env.DROPSCOPE_ADMIN_PASSWORD) {
      ctx.addIssue({ code: 'custom', path: ['DROPSCOPE_ADMIN_PASSWORD'], message: 'set DROPSCOPE_ADMIN_EMAIL and DROPSCOPE_ADMIN_PASSWORD together' });
    }
    if (env.DROPSCOPE_OIDC_ISSUER && !env.DROPSCOPE_OIDC_CLIENT_ID) {
      ctx.addIssue({ code: 'custom', path: ['DROPSCOPE_OIDC_CLIENT_ID'], message: 'required with DROPSCOPE_OIDC_ISSUER' });
    }
  });

export type AuthConfig = z.infer<typeof authEnvSchema>;

export function parseAuthConfig(env: Record<string, string | undefined>): AuthConfig {
  const parsed = authEnvSchema.safeParse(env);
  if (!parsed.success) throw new ConfigError(`invalid configuration: ${describeIssues(fieldIssues(parsed.error), 10)}`);
  return parsed.data;
}

/** The role a person gets from the provider's claim: the highest mapped, or null (no access). */
export function roleFromClaim(claim: unknown, map: readonly { claimValue: string; role: Role }[]): Role | null {
  const values = new Set((Array.isArray(claim) ? claim : typeof claim === 'string' ? claim.split(/[\s,]+/) : []).map(String));
  let best: Role | null = null;
  for (const { claimValue, role } of map) {
    if ((claimValue === '*' || values.has(claimValue)) && (best === null || !roleAtLeast(best, role))) best = role;
  }
  return best;
}
