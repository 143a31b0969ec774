/**
 * What to run with a token just issued, as README's "Probes on edge hosts" and "The canary
 * target behind your own chain" describe it: for a probe, its env file, a config that holds
 * canaries to this server's own canary target (a start; add your targets and proxies), and
 * the command; for a standalone target, the command with DROPSCOPE_TARGET_TOKEN.
 * The token sits in the env file only, never in the YAML (which `${DROPSCOPE_TOKEN}` reads).
 */
import type { Snippet } from '../admin/shown-once';
import type { ProbeKind } from './types';

/** The server's own canary target, ws:// or wss:// as the page was served. */
export function canaryUrl(origin: string): string {
  return `${origin.replace(/^http/, 'ws')}/canary`;
}

export function probeConfigYaml(origin: string): string {
  return [
    'backend:',
    `  url: ${origin}`,
    '  token: ${DROPSCOPE_TOKEN}            # read from the environment (probe.env)',
    'probe:',
    '  spoolDir: /var/lib/dropscope/spool   # events wait here while the backend is unreachable',
    '  heartbeat: 30s',
    'targets:',
    `  - { name: builtin, url: "${canaryUrl(origin)}" }   # add your own wss:// targets`,
    'proxies:',
    '  - { name: direct, url: direct }      # add http:// or socks5h:// proxies to compare paths',
    'paths:',
    '  - { targets: "*", proxies: "*", profiles: [idle, heartbeat] }',
    '# more paths can come from the Fleet page: the agent fetches its plan from the backend',
    '',
  ].join('\n');
}

export function agentSnippets(input: { kind: ProbeKind; name: string; token: string; origin: string }): Snippet[] {
  const { kind, name, token, origin } = input;
  if (kind === 'target') {
    return [
      {
        label: 'Run the standalone canary target (behind your CDN, load balancer or nginx)',
        testId: 'snippet-target',
        text: [`DROPSCOPE_TARGET_TOKEN=${token} \\`, `  node dropscope-target.js --port 8080 --name ${name} --backend ${origin}`, ''].join('\n'),
      },
    ];
  }
  return [
    { label: '/etc/dropscope/probe.env (mode 0600)', testId: 'snippet-env', text: `DROPSCOPE_TOKEN=${token}\n` },
    { label: '/etc/dropscope/probe.yaml', testId: 'snippet-config', text: probeConfigYaml(origin) },
    {
      label: 'Run the agent (or use the systemd unit in the README)',
      testId: 'snippet-run',
      text: ['set -a; . /etc/dropscope/probe.env; set +a', 'dropscope-agent --config /etc/dropscope/probe.yaml --check   # prints the plan', 'dropscope-agent --config /etc/dropscope/probe.yaml', ''].join('\n'),
    },
  ];
}
