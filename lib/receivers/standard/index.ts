/**
 * Standard Webhooks (https://www.standardwebhooks.com): an envelope `{type, timestamp, data}`
 * signed with the endpoint's generated secret (lib/webhooks/signature.ts) on every attempt.
 */
import { webhookHeaders } from '../../webhooks/signature';
import { identity } from '../catalog';
import type { Receiver } from '../types';

export const standardReceiver: Receiver = {
  ...identity('standard'),
  alertBody: (n, at) => JSON.stringify({ type: `alert.${n.status}`, timestamp: at.toISOString(), data: n }),
  testBody: (endpointName, at, dashboardUrl) =>
    JSON.stringify({ type: 'webhook.test', timestamp: at.toISOString(), data: { endpoint: endpointName, message: testText(endpointName), url: dashboardUrl } }),
  request(endpointUrl, storedBody, ctx) {
    if (ctx.secret === null) throw new TypeError('a Standard Webhooks endpoint needs its signing secret');
    return { url: endpointUrl, headers: webhookHeaders(ctx.secret, ctx.messageId, ctx.now, storedBody), body: storedBody };
  },
};

/** The sentence of a test message, shared by the chat-like formats. */
export function testText(endpointName: string): string {
  return `dropscope test delivery to ${endpointName}: webhooks from this dashboard reach you.`;
}
