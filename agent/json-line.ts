/**
 * An event that carries its own JSON text. A probe at 10,000 canaries ships 5,000 RTT
 * samples a second; building an object and an ISO string per sample for JSON.stringify to
 * walk was a quarter of the probe's CPU (bench:agent with and without shipping them:
 * 1.41x and 1.18x a bare ws client). The RTT buffer writes the line itself from cached
 * pieces, and the spool appends that line instead of stringifying the event. The text must
 * be exactly what JSON.stringify(event) gives: test/agent/rtt-buffer.test.ts checks it.
 */
export const JSON_LINE = Symbol('dropscope.jsonLine');

export type WithJsonLine = { [JSON_LINE]?: string };

/** The event's JSON: its own line when it carries one, else JSON.stringify. */
export function jsonOf(event: object): string {
  return (event as WithJsonLine)[JSON_LINE] ?? JSON.stringify(event);
}
