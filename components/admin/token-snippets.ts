/**
 * What to do with an API token just created: a curl call, and Prometheus scraping /metrics
 * with it (`authorization` with `credentials_file`, so the token stays out of
 * prometheus.yml; the file holds the bare token).
 */
import type { Snippet } from './shown-once';

export function tokenSnippets(token: string, origin: string): Snippet[] {
  const url = new URL(origin);
  return [
    {
      label: 'curl',
      testId: 'snippet-curl',
      text: `curl -sS -H 'Authorization: Bearer ${token}' ${origin}/api/v1/overview\n`,
    },
    {
      label: 'The token file Prometheus reads',
      testId: 'snippet-credentials-file',
      text: `printf '%s' '${token}' > /etc/prometheus/dropscope.token\nchmod 600 /etc/prometheus/dropscope.token   # readable by the prometheus user only\n`,
    },
    {
      label: 'prometheus.yml',
      testId: 'snippet-prometheus',
      text: [
        'scrape_configs:',
        '  - job_name: dropscope',
        `    scheme: ${url.protocol.replace(':', '')}`,
        '    metrics_path: /metrics',
        '    authorization:',
        '      type: Bearer',
        '      credentials_file: /etc/prometheus/dropscope.token',
        '    static_configs:',
        `      - targets: ["${url.host}"]`,
        '',
      ].join('\n'),
    },
  ];
}
