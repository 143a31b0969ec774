/**
 * Query strings to plain objects for zod. A repeated parameter becomes an array, which a
 * scalar schema then refuses, instead of silently picking one of the values.
 */
export function queryObject(params: URLSearchParams): Record<string, string | string[]> {
  const out: Record<string, string | string[]> = {};
  for (const key of new Set(params.keys())) {
    const all = params.getAll(key);
    out[key] = all.length === 1 ? all[0]! : all;
  }
  return out;
}
