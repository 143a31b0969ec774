/**
 * Route handlers answer 503 with Retry-After, not 500, while the database cannot be
 * reached: a dashboard or a script then knows to wait, and the log says why once.
 */
import { isDatabaseUnavailable } from '@/db/unavailable';
import { unavailable } from '@/lib/http/problem';
import { moduleLogger, rootLogger } from '@/lib/log';

export function withDatabaseErrors<A extends unknown[]>(handler: (...args: A) => Promise<Response>): (...args: A) => Promise<Response> {
  return async (...args: A) => {
    try {
      return await handler(...args);
    } catch (err) {
      if (!isDatabaseUnavailable(err)) throw err;
      moduleLogger(rootLogger(), 'api').warn({ err }, 'the database cannot be reached');
      return unavailable('API_ERR_UNAVAILABLE');
    }
  };
}
