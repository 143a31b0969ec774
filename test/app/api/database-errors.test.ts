/** Route handlers while the database cannot be reached: 503 with Retry-After; other errors stay errors. */
import { describe, expect, it } from 'vitest';
import { withDatabaseErrors } from '../../../app/api/v1/database-errors';

describe('withDatabaseErrors', () => {
  it('answers 503 with Retry-After when the database cannot be reached', async () => {
    const handler = withDatabaseErrors(async () => Promise.reject(Object.assign(new Error('Failed query: select ...'), { cause: Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:5432'), { code: 'ECONNREFUSED' }) })));
    const res = await handler();
    expect(res.status).toBe(503);
    expect(res.headers.get('retry-after')).toBe('5');
    expect(await res.json()).toMatchObject({ error: { code: 'API_ERR_UNAVAILABLE' } });
  });

  it('passes answers through and lets any other error propagate', async () => {
    expect((await withDatabaseErrors(async (n: number) => Response.json({ n }))(7)).status).toBe(200);
    await expect(withDatabaseErrors(async () => Promise.reject(Object.assign(new Error('duplicate key'), { code: '23505' })))()).rejects.toThrow('duplicate key');
  });
});
