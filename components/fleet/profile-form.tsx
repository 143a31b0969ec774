'use client';
/**
 * Create or edit a fleet profile: what a canary does on its open socket (idle, heartbeat,
 * echo, a ladder of idle gaps, the adaptive ladder that bisects the idle timeout, or a
 * silent rung with TCP keepalive), as the probe YAML's profiles. Durations are written as
 * there: "25s", "250ms", "5m". An optional setting left blank is not sent.
 */
import { FormShell, SelectField, TextField, listOf, numberOr, useDraftForm, type Draft } from './fields';
import type { PlanProfileView } from './types';

const KINDS = [
  { value: 'idle', label: 'idle: hold the socket, send nothing' },
  { value: 'heartbeat', label: 'heartbeat: ping on an interval' },
  { value: 'echo', label: 'echo: a message on an interval' },
  { value: 'ladder', label: 'ladder: one ping after each idle gap' },
  { value: 'bisect', label: 'bisect: narrow down the idle timeout, rung by rung' },
  { value: 'keepalive', label: 'keepalive: silent, with TCP keepalive (L4 or L7?)' },
];

function draftOf(p: PlanProfileView | undefined): Draft {
  return {
    name: p?.name ?? '',
    kind: p?.kind ?? 'heartbeat',
    interval: p && 'interval' in p ? p.interval : '25s',
    timeout: p && 'timeout' in p ? p.timeout : '10s',
    hold: p?.kind === 'heartbeat' ? (p.hold ?? '') : '',
    messageBytes: p?.kind === 'echo' ? String(p.messageBytes) : '64',
    growTo: p?.kind === 'echo' && p.growTo !== undefined ? String(p.growTo) : '',
    gaps: p?.kind === 'ladder' ? p.gaps.join(', ') : '15s, 30s, 60s, 120s, 300s',
    from: p?.kind === 'bisect' ? p.from : '15s',
    max: p?.kind === 'bisect' ? p.max : '30m',
    gap: p?.kind === 'keepalive' ? p.gap : '120s',
    keepalive: p?.kind === 'keepalive' ? p.keepalive : '30s',
  };
}

/** An optional setting: sent when filled in, left out when blank. */
const optional = (key: string, text: string | undefined, value: (t: string) => unknown = (t) => t) => (text?.trim() ? { [key]: value(text.trim()) } : {});

export function profileBody(d: Draft): Record<string, unknown> {
  const base = { name: d.name, kind: d.kind };
  switch (d.kind) {
    case 'heartbeat':
      return { ...base, interval: d.interval, timeout: d.timeout, ...optional('hold', d.hold) };
    case 'echo':
      return { ...base, interval: d.interval, timeout: d.timeout, messageBytes: numberOr(d.messageBytes ?? ''), ...optional('growTo', d.growTo, numberOr) };
    case 'ladder':
      return { ...base, gaps: listOf(d.gaps ?? ''), timeout: d.timeout };
    case 'bisect':
      return { ...base, from: d.from, max: d.max, timeout: d.timeout };
    case 'keepalive':
      return { ...base, gap: d.gap, keepalive: d.keepalive, timeout: d.timeout };
    default:
      return base;
  }
}

export function ProfileForm({ profile, onDone }: { profile?: PlanProfileView; onDone: () => void }) {
  const { form, submit, busy, message } = useDraftForm(
    () => draftOf(profile),
    (d) => ({ url: profile ? `/api/v1/plan/profiles/${profile.id}` : '/api/v1/plan/profiles', method: profile ? 'PUT' : 'POST', body: profileBody(d) }),
    onDone,
  );
  const kind = form.draft.kind;
  return (
    <FormShell label={profile ? `Edit profile ${profile.name}` : 'New profile'} testId="profile-form" message={message} busy={busy} submitLabel={profile ? 'Save profile' : 'Create profile'} onSubmit={submit} onCancel={onDone}>
      <TextField form={form} name="name" label="name" hint="e.g. heartbeat-10s" note="A built-in's name (idle, heartbeat, echo, ladder) replaces it on the probes whose paths use it." />
      <SelectField form={form} name="kind" label="kind" options={KINDS} />
      {(kind === 'heartbeat' || kind === 'echo') && <TextField form={form} name="interval" label="every" hint="25s" />}
      {kind === 'heartbeat' && <TextField form={form} name="hold" label="hold for (optional)" hint="225s" note="End the session once open this long, and reconnect: proves a heartbeat holds, or hands over before a lifetime limit." />}
      {kind === 'echo' && <TextField form={form} name="messageBytes" label="message bytes" hint="64" />}
      {kind === 'echo' && <TextField form={form} name="growTo" label="grow to bytes (optional)" hint="1048576" note="Each message twice the last, up to this size: finds where a layer loses or refuses large frames." />}
      {kind === 'ladder' && <TextField form={form} name="gaps" label="idle gaps" hint="15s, 30s, 60s" wide />}
      {kind === 'bisect' && <TextField form={form} name="from" label="first gap" hint="15s" note="Doubled while rungs survive, halved while they die, then bisected to within 0.5 s or 1 %." />}
      {kind === 'bisect' && <TextField form={form} name="max" label="longest gap" hint="30m" />}
      {kind === 'keepalive' && <TextField form={form} name="gap" label="silent for" hint="120s" note="Longer than the idle cut it tests: survives an L4 layer (NAT, firewall), dies at an L7 proxy." />}
      {kind === 'keepalive' && <TextField form={form} name="keepalive" label="TCP keepalive every" hint="30s" />}
      {kind !== 'idle' && <TextField form={form} name="timeout" label="answer within" hint="10s" />}
    </FormShell>
  );
}
