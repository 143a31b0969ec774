/** Every route file and page under app/, as its URL pattern and the methods it serves. */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';

export interface AppRoute {
  /** Next's pattern, e.g. `/api/v1/alert-rules/[id]`. */
  pattern: string;
  methods: string[];
  page: boolean;
}

const APP = path.resolve(__dirname, '../../app');

export function appRoutes(dir = APP, prefix = ''): AppRoute[] {
  const out: AppRoute[] = [];
  for (const name of readdirSync(dir).sort()) {
    const full = path.join(dir, name);
    if (statSync(full).isDirectory()) {
      out.push(...appRoutes(full, `${prefix}/${name}`));
    } else if (name === 'route.ts') {
      const text = readFileSync(full, 'utf8');
      const methods = [...text.matchAll(/export (?:const|async function|function) (GET|POST|PUT|PATCH|DELETE)\b/g)].map((m) => m[1]!);
      out.push({ pattern: prefix || '/', methods, page: false });
    } else if (name === 'page.tsx') {
      out.push({ pattern: prefix || '/', methods: ['GET'], page: true });
    }
  }
  return out;
}

/** A concrete URL path for a pattern: ids that exist nowhere, so a write changes nothing (an optional catch-all `[[...x]]` given one segment). */
export function samplePath(pattern: string): string {
  return pattern.replace(/\[\[\.\.\.[^\]]+\]\]/g, 'x').replace(/\[\.\.\.[^\]]+\]/g, 'x').replace(/\[[^\]]+\]/g, '999999');
}
