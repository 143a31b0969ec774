/**
 * Who may do what: people (better-auth's user, session, account and verification tables,
 * under names of our own), API tokens for automation, and the audit log of every write.
 * Re-exported by db/schema.ts, from which drizzle-kit generates the migrations.
 *
 * The four better-auth tables keep the columns its drizzle adapter expects
 * (@better-auth/core db/get-tables); `users.role` is our field (lib/auth/roles.ts).
 */
import { sql } from 'drizzle-orm';
import { bigint, bigserial, boolean, check, index, integer, jsonb, pgTable, serial, text, timestamp } from 'drizzle-orm/pg-core';
import { ROLES } from '../lib/auth/roles';

const tstz = () => timestamp({ withTimezone: true, mode: 'date' });
const roleIn = (column: string) => sql.raw(`${column} in (${ROLES.map((r) => `'${r}'`).join(', ')})`);

export const users = pgTable(
  'users',
  {
    id: text().primaryKey(),
    name: text().notNull(),
    email: text().notNull().unique(),
    emailVerified: boolean().notNull().default(false),
    image: text(),
    role: text().notNull().default('viewer'),
    createdAt: tstz().notNull().defaultNow(),
    updatedAt: tstz().notNull().defaultNow(),
  },
  () => [check('users_role_check', roleIn('role'))],
);

/** Sign-in sessions: stored here so that every server sees the same ones. */
export const authSessions = pgTable(
  'auth_sessions',
  {
    id: text().primaryKey(),
    expiresAt: tstz().notNull(),
    token: text().notNull().unique(),
    createdAt: tstz().notNull().defaultNow(),
    updatedAt: tstz().notNull().defaultNow(),
    ipAddress: text(),
    userAgent: text(),
    userId: text()
      .notNull()
      .references(() => users.id, { onDelete: 'cascade' }),
  },
  (t) => [index('auth_sessions_user_id_idx').on(t.userId)],
);

/** A person's ways to sign in: a password (provider "credential") or an OpenID provider. */
export const authAccounts = pgTable(
  'auth_accounts',
  {
    id: text().primaryKey(),
    accountId: text().notNull(),
    providerId: text().notNull(),
    userId: text()
      .notNull()
      .references(() => users.id, { onDelete: 'cascade' }),
    accessToken: text(),
    refreshToken: text(),
    idToken: text(),
    accessTokenExpiresAt: tstz(),
    refreshTokenExpiresAt: tstz(),
    scope: text(),
    password: text(),
    createdAt: tstz().notNull().defaultNow(),
    updatedAt: tstz().notNull().defaultNow(),
  },
  (t) => [index('auth_accounts_user_id_idx').on(t.userId)],
);

/** Short-lived values: OAuth state and PKCE verifiers, the one-time setup link. */
export const authVerifications = pgTable(
  'auth_verifications',
  {
    id: text().primaryKey(),
    identifier: text().notNull(),
    value: text().notNull(),
    expiresAt: tstz().notNull(),
    createdAt: tstz().notNull().defaultNow(),
    updatedAt: tstz().notNull().defaultNow(),
  },
  (t) => [index('auth_verifications_identifier_idx').on(t.identifier)],
);

/** Sign-in attempts counted per client, shared by every server (better-auth's rate limiter). */
export const authRateLimits = pgTable('auth_rate_limits', {
  id: text().primaryKey(),
  key: text().notNull().unique(),
  count: integer().notNull(),
  lastRequest: bigint({ mode: 'number' }).notNull(),
});

/**
 * Tokens for automation (scripts, Prometheus): `dsa_<id>_<secret>`, only the sha256 of the
 * whole token stored, as for probes. A token acts with its role, until it expires or is revoked.
 */
export const apiTokens = pgTable(
  'api_tokens',
  {
    id: serial().primaryKey(),
    name: text().notNull(),
    role: text().notNull(),
    tokenHash: text().notNull(),
    createdBy: text().references(() => users.id, { onDelete: 'set null' }),
    createdAt: tstz().notNull().defaultNow(),
    expiresAt: tstz(),
    revokedAt: tstz(),
    lastUsedAt: tstz(),
  },
  () => [check('api_tokens_role_check', roleIn('role'))],
);

/**
 * Every write through the API, the CLI or a page: who (actor), what (action on a subject)
 * and the subject before and after, secrets left out (db/queries/audit.ts).
 */
export const auditLog = pgTable(
  'audit_log',
  {
    id: bigserial({ mode: 'number' }).primaryKey(),
    at: tstz().notNull().defaultNow(),
    /** user, token, probe, cli or system. */
    actorKind: text().notNull(),
    actorId: text(),
    actorName: text().notNull(),
    /** e.g. `alert_rule.update`. */
    action: text().notNull(),
    subjectKind: text().notNull(),
    subjectId: text(),
    before: jsonb(),
    after: jsonb(),
  },
  (t) => [index('audit_log_at_idx').on(t.at)],
);
