/**
 * Slack-compatible incoming webhooks (Slack, Mattermost, Rocket.Chat): `{"text"}` with a
 * link back. The URL is Slack's own secret; the Standard Webhooks headers are sent as well
 * (endpoints made before issue 19 have a signing secret, and a relay can check them).
 */
import { webhookHeaders } from '../../webhooks/signature';
import { testText } from '../standard';
import { identity } from '../catalog';
import type { Receiver } from '../types';

export const slackReceiver: Receiver = {
  ...identity('slack'),
  alertBody: (n) => JSON.stringify({ text: `${n.summary}\n<${n.url}|Open in dropscope>` }),
  testBody: (endpointName, _at, dashboardUrl) => JSON.stringify({ text: `${testText(endpointName)}\n<${dashboardUrl}|Open in dropscope>` }),
  request(endpointUrl, storedBody, ctx) {
    const headers = ctx.secret === null ? { 'content-type': 'application/json' } : webhookHeaders(ctx.secret, ctx.messageId, ctx.now, storedBody);
    return { url: endpointUrl, headers, body: storedBody };
  },
};
