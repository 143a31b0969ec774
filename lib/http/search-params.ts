/**
 * A page's searchParams as zod input, like queryObject for a route: a repeated key stays an
 * array (a scalar schema refuses it), and an empty value counts as absent (a select's
 * "all" option submits nothing).
 */
export function searchParamsInput(sp: Record<string, string | string[] | undefined>): Record<string, string | string[]> {
  return Object.fromEntries(Object.entries(sp).filter((e): e is [string, string | string[]] => e[1] !== undefined && e[1] !== ''));
}
