'use client';
/**
 * Create or edit a fleet target: a ws:// or wss:// URL with optional headers, subprotocols,
 * Origin and TLS settings, as a probe's YAML target has them (but no CA file: a server plan
 * names nothing on a probe's disk).
 */
import { CheckField, FormShell, TextField, listOf, useDraftForm, type Draft } from './fields';
import type { PlanTargetView } from './types';

/** `Name: value` per line, as headers are written; a line without ":" is a name with no value, which the API then judges. */
export function parseHeaders(text: string): Record<string, string> {
  const headers: Record<string, string> = {};
  for (const line of text.split('\n')) {
    if (!line.trim()) continue;
    const colon = line.indexOf(':');
    if (colon < 0) headers[line.trim()] = '';
    else headers[line.slice(0, colon).trim()] = line.slice(colon + 1).trim();
  }
  return headers;
}

export const headersText = (headers: Record<string, string>): string =>
  Object.entries(headers)
    .map(([k, v]) => `${k}: ${v}`)
    .join('\n');

function draftOf(t: PlanTargetView | undefined): Draft {
  return {
    name: t?.name ?? '',
    url: t?.url ?? '',
    headers: headersText(t?.headers ?? {}),
    subprotocols: (t?.subprotocols ?? []).join(', '),
    origin: t?.origin ?? '',
    'tls.verify': String(t?.tls.verify ?? true),
    'tls.servername': t?.tls.servername ?? '',
  };
}

export function targetBody(d: Draft): Record<string, unknown> {
  return {
    name: d.name,
    url: d.url,
    headers: parseHeaders(d.headers ?? ''),
    subprotocols: listOf(d.subprotocols ?? ''),
    ...(d.origin && { origin: d.origin }),
    tls: { verify: d['tls.verify'] === 'true', ...(d['tls.servername'] && { servername: d['tls.servername'] }) },
  };
}

export function TargetForm({ target, onDone }: { target?: PlanTargetView; onDone: () => void }) {
  const { form, submit, busy, message } = useDraftForm(
    () => draftOf(target),
    (d) => ({ url: target ? `/api/v1/plan/targets/${target.id}` : '/api/v1/plan/targets', method: target ? 'PUT' : 'POST', body: targetBody(d) }),
    onDone,
  );
  return (
    <FormShell label={target ? `Edit target ${target.name}` : 'New target'} testId="target-form" message={message} busy={busy} submitLabel={target ? 'Save target' : 'Create target'} onSubmit={submit} onCancel={onDone}>
      <TextField form={form} name="name" label="name" hint="e.g. app-eu" />
      <TextField form={form} name="url" label="URL" hint="wss://app.example.com/ws" wide />
      <TextField form={form} name="headers" label="headers (one per line)" hint="Authorization: Bearer …" multiline wide note="Sent with the upgrade request. Stored on the server and sent to every probe the paths pick." />
      <TextField form={form} name="subprotocols" label="subprotocols" hint="e.g. graphql-ws" />
      <TextField form={form} name="origin" label="Origin header" hint="https://app.example.com" />
      <TextField form={form} name="tls.servername" label="TLS server name (SNI)" hint="when the URL holds an address" />
      <CheckField form={form} name="tls.verify" label="verify the certificate" />
    </FormShell>
  );
}
