import type { NextConfig } from 'next';

const config: NextConfig = {
  // PGlite must exist once per process: bundling it would create a second class
  // (and a second instance on the same data directory, which silently loses data).
  serverExternalPackages: ['@electric-sql/pglite', 'postgres', 'pino', 'prom-client'],
  poweredByHeader: false,
  reactStrictMode: true,
};

export default config;
