/** The answers for the silence store's errors (db/queries/silences.ts). */
import { SilenceError } from '@/db/queries/silences';
import { problem } from '@/lib/http/problem';

/** Known errors become 404/409; anything else is rethrown (Next answers 500 and logs it). */
export function silenceErrorResponse(err: unknown): Response {
  if (!(err instanceof SilenceError)) throw err;
  return problem(err.code === 'SILENCE_ERR_NOT_FOUND' ? 404 : 409, err.code, err.message);
}
