/** How endings read on the drops page. */
import type { EndKind } from '../../lib/contracts/ingest';

export const END_KIND_LABELS: Record<EndKind, string> = {
  close_frame: 'peer close frame',
  tcp_fin: 'TCP end (FIN)',
  tcp_reset: 'TCP reset (RST)',
  pong_timeout: 'pong deadline (silent)',
  probe_closed: 'closed by the probe',
  error: 'socket error',
};

/** `1006 abnormal`, `1001 going away` ...; the code alone when it is not a standard one. */
const CLOSE_CODES: Record<number, string> = {
  1000: 'normal',
  1001: 'going away',
  1002: 'protocol error',
  1003: 'unsupported data',
  1005: 'no status',
  1006: 'abnormal (no close frame)',
  1007: 'invalid payload',
  1008: 'policy violation',
  1009: 'message too big',
  1011: 'server error',
  1012: 'service restart',
  1013: 'try again later',
  1014: 'bad gateway',
};

export function closeCodeLabel(code: number | null): string {
  if (code === null) return 'none recorded';
  const name = CLOSE_CODES[code];
  return name ? `${code} ${name}` : String(code);
}
