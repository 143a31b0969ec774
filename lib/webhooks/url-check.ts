/**
 * The check of a webhook's URL when it is created or edited (db/schema.ts imports the
 * endpoint schema, so this stays out of lib/webhooks/endpoint.ts).
 */
import { fieldProblem } from '../http/json-input';
import type { OutboundAllowList } from '../net/allow-list';
import { literalRefusal } from '../net/outbound-guard';

/** The API code of a URL whose address webhooks may not reach. */
export const URL_REFUSED = 'WEBHOOK_ERR_URL_REFUSED';

/**
 * 400 naming `url` when the URL's host is a literal internal IP that `allow` does not let
 * through ("url: 127.0.0.1 is a loopback address (127.0.0.0/8); allow it with
 * DROPSCOPE_OUTBOUND_ALLOW"); null otherwise. Host names pass: they are resolved and
 * checked at every delivery, as what they resolve to can change.
 */
export function refusedUrlProblem(url: string, allow: OutboundAllowList): Response | null {
  const refused = literalRefusal(new URL(url), allow);
  return refused ? fieldProblem(400, URL_REFUSED, 'url', refused.message) : null;
}
