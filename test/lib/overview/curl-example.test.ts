import { describe, expect, it } from 'vitest';
import { ingestBatchSchema } from '../../../lib/contracts/ingest';
import { curlExample } from '../../../lib/overview/curl-example';

describe('curlExample', () => {
  const now = new Date('2026-11-01T12:00:00.000Z');

  it('sends a batch the ingest API accepts', () => {
    const { command, batch } = curlExample('http://127.0.0.1:3000', now);
    expect(ingestBatchSchema.parse(batch)).toEqual(batch);
    const heredoc = /<<'JSON'\n([\s\S]*)\nJSON$/.exec(command)?.[1];
    expect(JSON.parse(heredoc ?? '')).toEqual(batch);
  });

  it('posts to the ingest endpoint with the token from the environment', () => {
    const { command } = curlExample('https://dropscope.example.net', now);
    expect(command).toContain(`'https://dropscope.example.net/api/v1/ingest'`);
    expect(command).toContain('Bearer $DROPSCOPE_TOKEN');
  });

  it('ends the example canary at now, after exactly 60 s', () => {
    const ended = curlExample('http://h', now).batch.events.find((e) => e.type === 'session.ended');
    expect(ended).toMatchObject({ endedAt: now.toISOString(), durationMs: 60_000 });
  });
});
