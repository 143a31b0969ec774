/** The admin pages, for the admin index and the admin pages' own navigation. */
export const ADMIN_PAGES = [
  { href: '/admin/users', title: 'People', blurb: 'Who can sign in, with which role; add people with a password, change roles, set passwords, remove.' },
  { href: '/admin/tokens', title: 'API tokens', blurb: 'Tokens for scripts and Prometheus: create one (shown once), revoke.' },
  { href: '/admin/audit', title: 'Audit log', blurb: 'Every write: when, who, what, and what changed.' },
] as const;
