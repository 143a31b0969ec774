/**
 * Text PostgreSQL cannot hold: a NUL character (U+0000). A `text` or `jsonb` value with one
 * makes the query fail ("invalid byte sequence for encoding UTF8: 0x00", or 22P05 in
 * jsonb), and every read or write it reached answered 500. Request input is checked for it
 * at the boundary, so the answer is a 400 naming the field (query parameters, JSON bodies
 * and path ids). The ingest contract checks its own fields with the same message.
 */
import type { FieldIssue } from './problem';

export const NUL_TEXT_MESSAGE = 'expected text without NUL characters';

export function hasNul(text: string): boolean {
  return text.includes('\u0000');
}

/**
 * The first string (or object key) in `value` that holds a NUL, as an issue at its dotted
 * path (`labels.region`, `scope.0`; `(root)` for the value itself), or null. Walks at most
 * `maxDepth` levels: deeper nesting is the schema's to refuse.
 */
export function nulTextIssue(value: unknown, path: readonly string[] = [], maxDepth = 32): FieldIssue | null {
  const at = (p: readonly string[]) => ({ path: p.join('.') || '(root)', message: NUL_TEXT_MESSAGE });
  if (typeof value === 'string') return hasNul(value) ? at(path) : null;
  if (value === null || typeof value !== 'object' || path.length >= maxDepth) return null;
  const entries: [string, unknown][] = Array.isArray(value) ? value.map((v, i) => [String(i), v]) : Object.entries(value);
  for (const [key, child] of entries) {
    if (hasNul(key)) return at([...path, key.replace(/\u0000/g, '\\0')]);
    const issue = nulTextIssue(child, [...path, key], maxDepth);
    if (issue) return issue;
  }
  return null;
}
