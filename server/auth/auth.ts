/**
 * Sign-in, by better-auth: local passwords (scrypt), sessions stored in the database so
 * that every server sees them, sign-out, expiry, rate-limited sign-in (counters in the
 * database too), and single sign-on with an OpenID provider (authorization code with PKCE;
 * the role comes from a claim, lib/config/auth-env.ts).
 *
 * Chosen over Auth.js and hand-written code: it keeps sessions in our own PostgreSQL or
 * PGlite through drizzle (no second store), does PKCE OIDC with discovery as a plugin, and
 * rate-limits its own endpoints from the same tables. Nobody signs up: people are added by an
 * admin (db/queries/users.ts), by the first start's setup link, or by single sign-on.
 */
import { AsyncLocalStorage } from 'node:async_hooks';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { betterAuth } from 'better-auth';
import { drizzleAdapter } from 'better-auth/adapters/drizzle';
import { toNodeHandler } from 'better-auth/node';
import { genericOAuth } from 'better-auth/plugins';
import type { Database } from '../../db/client';
import { authAccounts, authRateLimits, authSessions, authVerifications, users } from '../../db/schema';
import type { AuthConfig } from '../../lib/config/auth-env';
import type { SecretKey } from '../../lib/crypto/secret-box';
import { roleFromClaim } from '../../lib/config/auth-env';
import type { Role } from '../../lib/auth/roles';
import type { Logger } from '../../lib/log';

/**
 * The role single sign-on mapped for the request being served. better-auth drops fields a
 * person may not set (`role` is one) from what a provider's profile maps to, so the mapping
 * leaves the role here and the user hooks write it; one scope per request (createAuthHandler).
 */
const ssoRole = new AsyncLocalStorage<{ role?: Role | 'refused' }>();

/** The header the gate sets to the client's address (and strips from what clients send). */
export const CLIENT_IP_HEADER = 'x-dropscope-client-ip';
/** better-auth's path under the server. */
export const AUTH_BASE_PATH = '/api/auth';
/** The OpenID provider's id in better-auth (its callback is /api/auth/callback/oidc). */
export const OIDC_PROVIDER_ID = 'oidc';

export interface AuthOptions {
  database: Database;
  config: AuthConfig;
  /** DROPSCOPE_SECRET_KEY: the signing secret is derived from it (HKDF), the same on every server. */
  secretKey: SecretKey;
  /** DROPSCOPE_PUBLIC_URL; without it the origin is taken from each request. */
  publicUrl?: string;
  log: Logger;
}

export function createAuth(options: AuthOptions) {
  const { config, log } = options;
  const oidc = config.DROPSCOPE_OIDC_ISSUER
    ? [
        genericOAuth({
          config: [
            {
              providerId: OIDC_PROVIDER_ID,
              name: config.DROPSCOPE_OIDC_NAME,
              discoveryUrl: `${config.DROPSCOPE_OIDC_ISSUER.replace(/\/+$/, '')}/.well-known/openid-configuration`,
              requireIdTokenVerification: true,
              clientId: config.DROPSCOPE_OIDC_CLIENT_ID!,
              clientSecret: config.DROPSCOPE_OIDC_CLIENT_SECRET,
              scopes: config.DROPSCOPE_OIDC_SCOPES.split(/\s+/).filter(Boolean),
              pkce: true,
              // The role follows the provider's groups at every sign-in.
              overrideUserInfo: true,
              mapProfileToUser: (profile) => {
                const role = roleFromClaim(profile[config.DROPSCOPE_OIDC_ROLE_CLAIM], config.DROPSCOPE_OIDC_ROLE_MAP);
                const scope = ssoRole.getStore();
                if (scope) scope.role = role ?? 'refused';
                if (!role) log.warn({ sub: profile.sub, claim: config.DROPSCOPE_OIDC_ROLE_CLAIM }, 'single sign-on refused: no role mapped from the claim');
                return { name: typeof profile.name === 'string' && profile.name ? profile.name : String(profile.email ?? profile.sub) };
              },
            },
          ],
        }),
      ]
    : [];

  return betterAuth({
    appName: 'dropscope',
    baseURL: options.publicUrl,
    basePath: AUTH_BASE_PATH,
    secret: options.secretKey.derive('better-auth').toString('base64url'),
    database: drizzleAdapter(options.database.db, {
      provider: 'pg',
      schema: { user: users, session: authSessions, account: authAccounts, verification: authVerifications, rateLimit: authRateLimits },
    }),
    user: {
      additionalFields: {
        // Set by an admin or from the provider's claim, never by the person signing in.
        role: { type: 'string', required: false, defaultValue: 'viewer', input: false },
      },
    },
    emailAndPassword: { enabled: true, disableSignUp: true, minPasswordLength: 12, maxPasswordLength: 256 },
    account: { accountLinking: { enabled: false } },
    session: {
      expiresIn: Math.round(config.DROPSCOPE_SESSION_MAX_AGE / 1000),
      // Extended while in use, at most once a day.
      updateAge: Math.min(86_400, Math.round(config.DROPSCOPE_SESSION_MAX_AGE / 4000)),
    },
    rateLimit: {
      enabled: true,
      storage: 'database',
      window: 60,
      max: 300,
      customRules: {
        '/sign-in/email': { window: 60, max: 5 },
        '/sign-in/social': { window: 60, max: 20 },
      },
    },
    trustedOrigins: (request) => (options.publicUrl ? [new URL(options.publicUrl).origin] : request ? [requestOrigin(request)] : []),
    advanced: {
      cookiePrefix: 'dropscope',
      useSecureCookies: options.publicUrl?.startsWith('https:') ?? false,
      defaultCookieAttributes: { sameSite: 'lax', httpOnly: true },
      ipAddress: { ipAddressHeaders: [CLIENT_IP_HEADER] },
      database: { generateId: () => crypto.randomUUID() },
    },
    plugins: oidc,
    databaseHooks: {
      user: {
        // A person created or updated by single sign-on takes the role their claim mapped to;
        // one whose claim maps to none is not created, and gets no session (below), even if
        // they had an account and a role before.
        create: { before: async (user) => withSsoRole(user) },
        update: { before: async (user) => withSsoRole(user) },
      },
      session: { create: { before: async () => (ssoRole.getStore()?.role === 'refused' ? false : undefined) } },
    },
    telemetry: { enabled: false },
    logger: {
      level: 'warn',
      log: (level, message, ...args) => {
        const fields = { args: args.length ? args.map(String) : undefined };
        if (level === 'error') log.error(fields, message);
        else if (level === 'warn') log.warn(fields, message);
        else log.debug(fields, message);
      },
    },
  });
}

function withSsoRole<T extends object>(user: T): { data: T & { role: Role } } | false | undefined {
  const role = ssoRole.getStore()?.role;
  if (role === 'refused') return false;
  return role ? { data: { ...user, role } } : undefined;
}

export type Auth = ReturnType<typeof createAuth>;

/** better-auth's endpoints as a Node handler, each request in a scope of its own. */
export function createAuthHandler(auth: Auth): (req: IncomingMessage, res: ServerResponse) => Promise<void> {
  const serve = toNodeHandler(auth);
  return (req, res) => ssoRole.run({}, () => serve(req, res));
}

/** The origin a request was addressed to, from its Host header (what a same-origin page sends as Origin). */
export function requestOrigin(request: Request): string {
  const url = new URL(request.url);
  const host = request.headers.get('host') ?? url.host;
  return `${url.protocol}//${host}`;
}
