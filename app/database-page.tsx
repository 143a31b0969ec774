/**
 * Pages answer with a banner, not an error page, while the database cannot be reached:
 * the reads fail fast (db/open.ts: a 2 s connect timeout) and the page says so and tries
 * again by itself, as the API answers 503 (app/api/v1/database-errors.ts).
 */
import type { ReactNode } from 'react';
import { DatabaseUnavailable } from '@/components/dashboard/database-unavailable';
import { isDatabaseUnavailable } from '@/db/unavailable';
import { moduleLogger, rootLogger } from '@/lib/log';

export function withDatabasePage<P>(page: (props: P) => Promise<ReactNode>): (props: P) => Promise<ReactNode> {
  return async (props: P) => {
    try {
      return await page(props);
    } catch (err) {
      if (!isDatabaseUnavailable(err)) throw err;
      moduleLogger(rootLogger(), 'pages').warn({ err }, 'the database cannot be reached');
      return <DatabaseUnavailable />;
    }
  };
}
