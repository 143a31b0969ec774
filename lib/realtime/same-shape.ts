/**
 * `Same<A, B>` is `true` only when A and B are assignable both ways. A schema module states
 * `const _x: Same<z.infer<typeof xSchema>, X> = true;` so that a field added to an interface
 * but not to the zod schema the browser parses it with (or the reverse) fails tsc.
 */
export type Same<A, B> = [A] extends [B] ? ([B] extends [A] ? true : never) : never;
