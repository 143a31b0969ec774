/**
 * A page's searchParams as zod input, like queryObject for a route: a repeated key stays an
 * array (a scalar schema refuses it), and an empty value counts as absent (a select's
 * "all" option submits nothing).
 */
export function searchParamsInput(sp: Record<string, string | string[] | undefined>): Record<string, string | string[]> {
  return Object.fromEntries(Object.entries(sp).filter((e): e is [string, string | string[]] => e[1] !== undefined && e[1] !== ''));
}

/**
 * The query string of a parsed page's input (`?a=1&b=2`, or '' when empty): what a live page
 * asks its JSON endpoint for, so the refetch shows exactly the view the URL names.
 * Only single values survive parsing, so arrays are left out.
 */
export function queryStringOf(input: Record<string, string | string[]>): string {
  const s = new URLSearchParams(Object.entries(input).flatMap(([k, v]) => (typeof v === 'string' ? [[k, v]] : []))).toString();
  return s ? `?${s}` : '';
}
