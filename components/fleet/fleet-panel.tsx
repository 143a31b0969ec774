'use client';
/**
 * The fleet plan (issue 17): the paths probes take from the server, and the targets,
 * proxies and profiles they name. Editors change them here; each probe picks the change up
 * at its next fetch (every 15 s by default). Each path says on which probes it runs and on
 * which it could not, with why, as the probes reported. Then the chains of entry points the
 * analysis places cuts on, and the experiments the server asks of probes (issue 18).
 */
import css from './fleet.module.css';
import { ChainForm } from './chain-form';
import { DefinitionSection } from './definition-section';
import { ExperimentsList, type ExperimentWire } from './experiments-list';
import { PathForm } from './path-form';
import { ProfileForm } from './profile-form';
import { ProxyForm } from './proxy-form';
import { TargetForm } from './target-form';
import type { FleetPlanView, FleetProbe, PathFleetStatus, PlanChainView, PlanPathView, PlanProfileView } from './types';

function describeProfile(p: PlanProfileView): string {
  switch (p.kind) {
    case 'idle':
      return 'idle';
    case 'heartbeat':
      return `heartbeat every ${p.interval}, answer within ${p.timeout}${p.hold ? `; reconnect after ${p.hold}` : ''}`;
    case 'echo':
      return `echo ${p.messageBytes} B${p.growTo !== undefined ? ` growing to ${p.growTo} B` : ''} every ${p.interval}, answer within ${p.timeout}`;
    case 'ladder':
      return `ladder of gaps ${p.gaps.join(', ')}, answer within ${p.timeout}`;
    case 'bisect':
      return `bisect the idle timeout from a ${p.from} gap, up to ${p.max}, answer within ${p.timeout}`;
    case 'keepalive':
      return `silent for ${p.gap} with TCP keepalive every ${p.keepalive}, answer within ${p.timeout}`;
  }
}

function ChainHops({ hops }: { hops: readonly string[] }) {
  return (
    <ol className={`${css.chain} ${css.plainList}`} aria-label="entry points, outermost first">
      {hops.map((h, i) => (
        <li key={`${i}-${h}`}>
          {i > 0 && <span aria-hidden="true">→ </span>}
          <span className={css.label}>{h}</span>
        </li>
      ))}
    </ol>
  );
}

/** The state column in words, for the export: what PathState draws. */
export function pathStateText(path: PlanPathView, status: PathFleetStatus | undefined): string {
  if (!path.enabled) return 'disabled';
  const running = status?.running ?? [];
  const unconfigured = status?.unconfigured ?? [];
  if (running.length + unconfigured.length === 0) return 'not reported yet';
  return [
    `running on ${running.length}${running.length ? ` (${running.map((r) => r.probe).join(', ')})` : ''}`,
    ...unconfigured.map((u) => `unconfigured on ${u.probe}: ${u.reason ?? 'no reason given'}${u.field ? ` (${u.field})` : ''}`),
  ].join('; ');
}

function PathState({ path, status }: { path: PlanPathView; status: PathFleetStatus | undefined }) {
  if (!path.enabled) return <span className={css.disabled}>disabled</span>;
  const running = status?.running ?? [];
  const unconfigured = status?.unconfigured ?? [];
  if (running.length + unconfigured.length === 0) return <span className={css.sub}>no probe has reported it yet</span>;
  const open = running.reduce((s, r) => s + r.open, 0);
  const planned = running.reduce((s, r) => s + r.canaries, 0);
  return (
    <span data-testid="path-state" data-running={running.length} data-unconfigured={unconfigured.length}>
      <span className={running.length > 0 ? css.running : css.disabled}>
        <span aria-hidden="true">{running.length > 0 ? '●' : '○'}</span> running on {running.length}
      </span>
      {unconfigured.length > 0 && (
        <>
          {' · '}
          <span className={css.unconfigured}>
            <span aria-hidden="true">▲</span> unconfigured on {unconfigured.length}
          </span>
        </>
      )}
      {running.length > 0 && (
        <span className={css.sub}>
          {running.map((r) => r.probe).join(', ')} · {open}/{planned} canaries open
        </span>
      )}
      {unconfigured.map((u) => (
        <span key={u.probe} className={css.sub} data-testid="path-unconfigured" data-probe={u.probe}>
          {u.probe}: {u.reason ?? 'no reason given'}
          {u.field && ` (${u.field})`}
        </span>
      ))}
    </span>
  );
}

export function FleetPanel({
  plan,
  chains,
  experiments,
  probes,
  status,
  canEdit,
}: {
  plan: FleetPlanView;
  chains: PlanChainView[];
  /** What the server asks of probes (issue 18), read-only. */
  experiments: readonly ExperimentWire[];
  probes: FleetProbe[];
  status: Record<number, PathFleetStatus>;
  canEdit: boolean;
}) {
  return (
    <>
      <DefinitionSection
        noun="path"
        title="Paths"
        intro={
          <>
            Each path holds canaries to one target through one proxy with one profile, on the probes its selector picks. Probes fetch their plan every 15 s; paths in a probe&apos;s own probe.yaml keep running beside these.
          </>
        }
        empty="No server path yet: probes run only the paths of their own probe.yaml."
        rows={plan.paths}
        rowTestId="fleet-path-row"
        rowName={(p) => `${p.id} (${p.target} · ${p.proxy} · ${p.profile})`}
        rowData={(p) => ({ 'data-path-id': String(p.id), 'data-enabled': String(p.enabled) })}
        apiPath="/api/v1/plan/paths"
        canEdit={canEdit}
        columns={[
          { header: 'path', cell: (p) => `#${p.id}`, value: (p) => p.id },
          { header: 'target', cell: (p) => p.target },
          { header: 'proxy', cell: (p) => p.proxy },
          { header: 'profile', cell: (p) => p.profile },
          { header: 'canaries', num: true, cell: (p) => p.canaries },
          { header: 'on probes', cell: (p) => <span className={css.label}>{p.probes}</span>, value: (p) => p.probes },
          { header: 'state', cell: (p) => <PathState path={p} status={status[p.id]} />, value: (p) => pathStateText(p, status[p.id]) },
        ]}
        form={(p, done) => <PathForm path={p} plan={plan} probes={probes} onDone={done} />}
      />
      <DefinitionSection
        noun="target"
        title="Targets"
        intro={
          <>
            WebSocket endpoints the canaries connect to. This server has one of its own at <code className={css.code}>/canary</code> (the demo probe&apos;s <code className={css.code}>builtin</code>): add it here with this server&apos;s <code className={css.code}>ws://</code> address to run server paths to it.
          </>
        }
        empty="No target yet."
        rows={plan.targets}
        rowTestId="plan-target-row"
        rowName={(t) => t.name}
        rowData={(t) => ({ 'data-name': t.name })}
        apiPath="/api/v1/plan/targets"
        canEdit={canEdit}
        columns={[
          { header: 'target', cell: (t) => t.name },
          { header: 'URL', cell: (t) => <span className={css.mono}>{t.url}</span>, value: (t) => t.url },
          {
            header: 'options',
            cell: (t) =>
              [
                Object.keys(t.headers).length > 0 && `headers: ${Object.keys(t.headers).join(', ')}`,
                t.subprotocols.length > 0 && `subprotocols: ${t.subprotocols.join(', ')}`,
                t.origin && `Origin ${t.origin}`,
                !t.tls.verify && 'certificate not verified',
                t.tls.servername && `SNI ${t.tls.servername}`,
              ]
                .filter(Boolean)
                .join(' · ') || '—',
          },
        ]}
        form={(t, done) => <TargetForm target={t} onDone={done} />}
      />
      <DefinitionSection
        noun="proxy"
        title="Proxies"
        intro={
          <>
            <code className={css.code}>direct</code> (no proxy) is built in. Credentials stay on the probes: a URL names them as <code className={css.code}>{'${VAR}'}</code>, filled from each probe&apos;s environment.
          </>
        }
        empty="No proxy yet: paths go direct."
        rows={plan.proxies}
        rowTestId="plan-proxy-row"
        rowName={(p) => p.name}
        rowData={(p) => ({ 'data-name': p.name })}
        apiPath="/api/v1/plan/proxies"
        canEdit={canEdit}
        columns={[
          { header: 'proxy', cell: (p) => p.name },
          { header: 'URL', cell: (p) => <span className={css.mono}>{p.url}</span>, value: (p) => p.url },
        ]}
        form={(p, done) => <ProxyForm proxy={p} onDone={done} />}
      />
      <DefinitionSection
        noun="profile"
        title="Profiles"
        intro={<>Built in: {plan.builtins.profiles.join(', ')}. A profile defined here under a built-in&apos;s name replaces it.</>}
        empty="No profile of your own yet."
        rows={plan.profiles}
        rowTestId="plan-profile-row"
        rowName={(p) => p.name}
        rowData={(p) => ({ 'data-name': p.name })}
        apiPath="/api/v1/plan/profiles"
        canEdit={canEdit}
        columns={[
          { header: 'profile', cell: (p) => p.name },
          { header: 'does', cell: (p) => describeProfile(p) },
        ]}
        form={(p, done) => <ProfileForm profile={p} onDone={done} />}
      />
      <DefinitionSection
        noun="chain"
        title="Chains"
        intro="A service's entry points in order, outermost first (its CDN's target, its load balancer's, the app's). With canaries on each, the analysis says between which two a cut happens. Probes do not read chains."
        empty="No chain yet."
        rows={chains}
        rowTestId="plan-chain-row"
        rowName={(c) => c.name}
        rowData={(c) => ({ 'data-name': c.name, 'data-hops': c.hops.join(' ') })}
        apiPath="/api/v1/plan/chains"
        canEdit={canEdit}
        deleteNote="The analysis stops placing cuts on it."
        columns={[
          { header: 'chain', cell: (c) => c.name },
          { header: 'entry points, outermost first', cell: (c) => <ChainHops hops={c.hops} />, value: (c) => c.hops.join(' → ') },
        ]}
        form={(c, done) => <ChainForm chain={c} targets={plan.targets.map((t) => t.name)} onDone={done} />}
      />
      <ExperimentsList experiments={experiments} />
    </>
  );
}
