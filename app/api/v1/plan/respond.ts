/** The answers for the plan store's errors: 404, 409 for a taken name or an entry in use, 400 for a name that refers to nothing. */
import { PlanError } from '@/db/queries/plans';
import { fieldProblem } from '@/lib/http/json-input';
import { problem } from '@/lib/http/problem';

/** Known errors become 400/404/409; anything else is rethrown (Next answers 500 and logs it). */
export function planErrorResponse(err: unknown): Response {
  if (!(err instanceof PlanError)) throw err;
  if (err.code === 'PLAN_ERR_NOT_FOUND') return problem(404, err.code, err.message);
  const status = err.code === 'PLAN_ERR_UNKNOWN_REF' ? 400 : 409;
  return err.field ? fieldProblem(status, err.code, err.field, err.message) : problem(status, err.code, err.message);
}
