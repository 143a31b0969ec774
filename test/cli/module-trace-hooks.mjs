// Module resolution hooks (run in the loader's thread): record each resolved URL.
import { appendFileSync } from 'node:fs';

export async function resolve(specifier, context, next) {
  const resolved = await next(specifier, context);
  if (process.env.DROPSCOPE_TRACE_MODULES) appendFileSync(process.env.DROPSCOPE_TRACE_MODULES, `${resolved.url}\n`);
  return resolved;
}
