'use client';
/**
 * Create or edit a fleet profile: what a canary does on its open socket (idle, heartbeat,
 * echo, or a ladder of idle gaps), as the probe YAML's profiles. Durations are written as
 * there: "25s", "250ms", "5m".
 */
import { FormShell, SelectField, TextField, listOf, numberOr, useDraftForm, type Draft } from './fields';
import type { PlanProfileView } from './types';

const KINDS = [
  { value: 'idle', label: 'idle: hold the socket, send nothing' },
  { value: 'heartbeat', label: 'heartbeat: ping on an interval' },
  { value: 'echo', label: 'echo: a message on an interval' },
  { value: 'ladder', label: 'ladder: one ping after each idle gap' },
];

function draftOf(p: PlanProfileView | undefined): Draft {
  return {
    name: p?.name ?? '',
    kind: p?.kind ?? 'heartbeat',
    interval: p && 'interval' in p ? p.interval : '25s',
    timeout: p && 'timeout' in p ? p.timeout : '10s',
    messageBytes: p?.kind === 'echo' ? String(p.messageBytes) : '64',
    gaps: p?.kind === 'ladder' ? p.gaps.join(', ') : '15s, 30s, 60s, 120s, 300s',
  };
}

export function profileBody(d: Draft): Record<string, unknown> {
  const base = { name: d.name, kind: d.kind };
  switch (d.kind) {
    case 'heartbeat':
      return { ...base, interval: d.interval, timeout: d.timeout };
    case 'echo':
      return { ...base, interval: d.interval, timeout: d.timeout, messageBytes: numberOr(d.messageBytes ?? '') };
    case 'ladder':
      return { ...base, gaps: listOf(d.gaps ?? ''), timeout: d.timeout };
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
      {kind === 'echo' && <TextField form={form} name="messageBytes" label="message bytes" hint="64" />}
      {kind === 'ladder' && <TextField form={form} name="gaps" label="idle gaps" hint="15s, 30s, 60s" wide />}
      {kind !== 'idle' && <TextField form={form} name="timeout" label="answer within" hint="10s" />}
    </FormShell>
  );
}
