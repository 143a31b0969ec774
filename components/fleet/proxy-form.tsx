'use client';
/**
 * Create or edit a fleet proxy. Its credentials never reach the server: the URL names them
 * as `${VAR}`, which each probe fills from its own environment (a probe without the
 * variable reports the path unconfigured); the API refuses literal ones at `url`.
 */
import { FormShell, TextField, useDraftForm } from './fields';
import css from './fleet.module.css';
import type { PlanProxyView } from './types';

export function ProxyForm({ proxy, onDone }: { proxy?: PlanProxyView; onDone: () => void }) {
  const { form, submit, busy, message } = useDraftForm(
    () => ({ name: proxy?.name ?? '', url: proxy?.url ?? '' }),
    (d) => ({ url: proxy ? `/api/v1/plan/proxies/${proxy.id}` : '/api/v1/plan/proxies', method: proxy ? 'PUT' : 'POST', body: { name: d.name, url: d.url } }),
    onDone,
  );
  const note = (
    <>
      http://, https://, socks4(a):// or socks5(h)://. Write credentials as placeholders, e.g.{' '}
      <code className={css.code}>{'http://${DROPSCOPE_PROXY_CORP_USER}:${DROPSCOPE_PROXY_CORP_PASS}@squid.corp:3128'}</code>: each probe reads them from its own environment. Names starting
      with <code className={css.code}>DROPSCOPE_PROXY_</code> are allowed on every probe; others must be listed under <code className={css.code}>plan.env</code> in its probe.yaml.
    </>
  );
  return (
    <FormShell label={proxy ? `Edit proxy ${proxy.name}` : 'New proxy'} testId="proxy-form" message={message} busy={busy} submitLabel={proxy ? 'Save proxy' : 'Create proxy'} onSubmit={submit} onCancel={onDone}>
      <TextField form={form} name="name" label="name" hint="e.g. corp-squid" />
      <TextField form={form} name="url" label="URL" hint="http://${DROPSCOPE_PROXY_USER}:${DROPSCOPE_PROXY_PASS}@proxy:3128" wide note={note} />
    </FormShell>
  );
}
