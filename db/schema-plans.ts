/**
 * The fleet plan: targets, proxies, profiles and paths that editors define on the server
 * and probes pull (GET /api/v1/probe/plan, issue 17). Re-exported by db/schema.ts, from
 * which drizzle-kit generates the migrations. It must not import db/schema.ts: the
 * re-export would make a cycle in which schema.ts's values are not yet defined.
 *
 * A proxy's credentials are never stored: its URL holds `${VAR}` placeholders the probe
 * resolves from its own environment (lib/contracts/plan.ts proxyTemplateSchema).
 */
import { sql } from 'drizzle-orm';
import { boolean, check, integer, jsonb, pgTable, serial, smallint, text, timestamp, unique } from 'drizzle-orm/pg-core';
import { profileKinds } from '../lib/contracts/ingest';

const tstz = () => timestamp({ withTimezone: true, mode: 'date' });
const stamps = () => ({ createdAt: tstz().notNull().defaultNow(), updatedAt: tstz().notNull().defaultNow() });

/** A profile's settings in milliseconds; which are set depends on its kind. */
export interface ProfileSettings {
  intervalMs?: number;
  timeoutMs?: number;
  messageBytes?: number;
  gapsMs?: number[];
  /** Heartbeat: end politely once open this long. */
  holdMs?: number;
  /** Echo: grow the messages up to this size. */
  growTo?: number;
  /** Bisect: the first gap and the largest. */
  fromMs?: number;
  maxMs?: number;
  /** Keepalive: the silent gap and the TCP keepalive interval inside it. */
  gapMs?: number;
  keepaliveMs?: number;
}

export const planTargets = pgTable('plan_targets', {
  id: serial().primaryKey(),
  name: text().notNull().unique(),
  url: text().notNull(),
  headers: jsonb().$type<Record<string, string>>().notNull().default({}),
  subprotocols: text().array().notNull().default(sql`'{}'::text[]`),
  origin: text(),
  tlsVerify: boolean().notNull().default(true),
  tlsServername: text(),
  ...stamps(),
});

export const planProxies = pgTable('plan_proxies', {
  id: serial().primaryKey(),
  name: text().notNull().unique(),
  /** A proxy URL whose user name and password are `${VAR}`s, never literal. */
  url: text().notNull(),
  ...stamps(),
});

export const planProfiles = pgTable(
  'plan_profiles',
  {
    id: serial().primaryKey(),
    name: text().notNull().unique(),
    kind: text({ enum: profileKinds }).notNull(),
    settings: jsonb().$type<ProfileSettings>().notNull().default({}),
    ...stamps(),
  },
  (t) => [check('plan_profiles_kind_check', sql.raw(`kind in (${profileKinds.map((k) => `'${k}'`).join(', ')})`))],
);

/**
 * One target × one proxy × one profile, held by `canaries` canaries on every probe the
 * selector `probes` picks (lib/plans/selector.ts). A null proxy is the built-in "direct".
 * The profile is a name: a built-in or a plan_profiles row, checked by the write.
 */
export const planPaths = pgTable(
  'plan_paths',
  {
    id: serial().primaryKey(),
    targetId: integer()
      .notNull()
      .references(() => planTargets.id, { onDelete: 'restrict' }),
    proxyId: integer().references(() => planProxies.id, { onDelete: 'restrict' }),
    profile: text().notNull(),
    canaries: integer().notNull().default(1),
    probes: text().notNull().default('*'),
    enabled: boolean().notNull().default(true),
    ...stamps(),
  },
  (t) => [
    unique('plan_paths_key').on(t.targetId, t.proxyId, t.profile, t.probes).nullsNotDistinct(),
    check('plan_paths_canaries_check', sql`${t.canaries} between 1 and 1000`),
  ],
);

/**
 * A service's chain of entry points, outermost first (the CDN's, the load balancer's, the
 * app's): names of targets, which need not be defined here (a probe's YAML may hold them).
 * The analysis names the outermost hop whose canaries show a cut that the next one inward
 * does not (lib/diagnosis). Probes never read chains, so writing one leaves the plan's
 * revision alone.
 */
export const planChains = pgTable(
  'plan_chains',
  {
    id: serial().primaryKey(),
    name: text().notNull().unique(),
    hops: text().array().notNull(),
    ...stamps(),
  },
  (t) => [check('plan_chains_hops_check', sql`cardinality(${t.hops}) between 2 and 10`)],
);

/**
 * The plan's revision: one row, bumped by every plan write in the write's transaction.
 * No row reads as revision 0, so the migration needs no seed.
 */
export const planRevision = pgTable(
  'plan_revision',
  {
    id: smallint().primaryKey().default(1),
    revision: integer().notNull(),
    updatedAt: tstz().notNull().defaultNow(),
  },
  (t) => [check('plan_revision_single_row', sql`${t.id} = 1`)],
);
