/**
 * The alerts page's calls to the JSON API, with the API's problem answers turned into
 * per-field messages a form can show next to its inputs.
 */
export interface ApiResult<T> {
  ok: boolean;
  status: number;
  data?: T;
  /** Message per field path (`threshold`, `scope.label`); `(root)` for the rest. */
  fieldErrors: Record<string, string>;
  message?: string;
}

export async function apiCall<T>(url: string, method: string, body?: unknown): Promise<ApiResult<T>> {
  let res: Response;
  try {
    res = await fetch(url, { method, ...(body !== undefined && { headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) }) });
  } catch (err) {
    return { ok: false, status: 0, fieldErrors: {}, message: `the server did not answer: ${(err as Error).message}` };
  }
  if (res.status === 204) return { ok: true, status: 204, fieldErrors: {} };
  const json = (await res.json().catch(() => null)) as (T & { error?: { message: string; issues?: { path: string; message: string }[] } }) | null;
  if (res.ok) return { ok: true, status: res.status, data: json as T, fieldErrors: {} };
  const fieldErrors: Record<string, string> = {};
  for (const i of json?.error?.issues ?? []) fieldErrors[i.path] ??= i.message;
  return { ok: false, status: res.status, fieldErrors, message: json?.error?.message ?? `HTTP ${res.status}` };
}
