/**
 * The layer catalogue in use: the built-in layers plus the user's own, from a YAML or JSON
 * file named by DROPSCOPE_LAYERS_FILE (for example "our corporate firewall: 900 s idle").
 * A bad file stops the server at start with the file and the field named.
 */
import { readFileSync } from 'node:fs';
import { parse } from 'yaml';
import { BUILTIN_LAYERS, userLayersSchema, type Layer } from '../analysis/catalogue';

export class LayersFileError extends Error {
  readonly code = 'CONFIG_ERR_LAYERS';
}

export function loadLayers(file: string | undefined): Layer[] {
  if (!file) return [...BUILTIN_LAYERS];
  let raw: unknown;
  try {
    raw = parse(readFileSync(file, 'utf8'));
  } catch (err) {
    throw new LayersFileError(`${file}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message.split('\n')[0]}`);
  }
  const parsed = userLayersSchema.safeParse(raw);
  if (!parsed.success) {
    throw new LayersFileError(`${file}: ${parsed.error.issues.map((i) => `${i.path.join('.') || '(root)'}: ${i.message}`).join('; ')}`);
  }
  const ids = new Set(BUILTIN_LAYERS.map((l) => l.id));
  for (const [i, l] of parsed.data.entries()) if (ids.has(l.id)) throw new LayersFileError(`${file}: ${i}.id: "${l.id}" is a built-in layer; pick another id`);
  return [...BUILTIN_LAYERS, ...parsed.data];
}

let cached: Layer[] | undefined;
/** The catalogue for this process (read once). */
export function layersInUse(): Layer[] {
  return (cached ??= loadLayers(process.env.DROPSCOPE_LAYERS_FILE || undefined));
}
