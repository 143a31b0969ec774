/**
 * Labels as an admin types them: `region=eu, provider=hetzner`. The API checks names and
 * lengths (the CLI's rules); this only splits the text, naming a part it cannot read.
 */
export function parseLabelsText(text: string): { ok: true; labels: Record<string, string> } | { ok: false; message: string } {
  const labels: Record<string, string> = {};
  for (const raw of text.split(/[,\n]/)) {
    const part = raw.trim();
    if (!part) continue;
    const eq = part.indexOf('=');
    if (eq < 1) return { ok: false, message: `expected key=value, got "${part.slice(0, 40)}"` };
    const key = part.slice(0, eq).trim();
    if (key in labels) return { ok: false, message: `the label ${key} is given twice` };
    labels[key] = part.slice(eq + 1).trim();
  }
  return { ok: true, labels };
}

export function labelsText(labels: Record<string, string>): string {
  return Object.entries(labels)
    .map(([k, v]) => `${k}=${v}`)
    .join(', ');
}

/** The API's messages for `labels` and `labels.<key>`, as one line for the labels field. */
export function labelErrors(fieldErrors: Record<string, string>): string | undefined {
  const lines = Object.entries(fieldErrors)
    .filter(([path]) => path === 'labels' || path.startsWith('labels.'))
    .map(([path, message]) => (path === 'labels' ? message : `${path.slice('labels.'.length)}: ${message}`));
  return lines.length ? lines.join('; ') : undefined;
}
