import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { parseJsonBody } from '../../../lib/http/json-input';
import { NUL_TEXT_MESSAGE, nulTextIssue } from '../../../lib/http/nul-text';

describe('nulTextIssue', () => {
  it('finds the first string or key holding a NUL, at its dotted path', () => {
    expect(nulTextIssue({ name: 'ok', scope: { target: 'a\u0000b' } })).toEqual({ path: 'scope.target', message: NUL_TEXT_MESSAGE });
    expect(nulTextIssue({ webhooks: [1, 'x', 'y\u0000'] })).toEqual({ path: 'webhooks.2', message: NUL_TEXT_MESSAGE });
    expect(nulTextIssue({ labels: { 're\u0000gion': 'eu' } })).toEqual({ path: 'labels.re\\0gion', message: NUL_TEXT_MESSAGE });
    expect(nulTextIssue('\u0000')).toEqual({ path: '(root)', message: NUL_TEXT_MESSAGE });
  });

  it('passes text without one, whatever else it holds', () => {
    expect(nulTextIssue({ a: 'tab\there', b: ['é', '\u0001', 7, null, true], c: { d: '' } })).toBeNull();
    expect(nulTextIssue(null)).toBeNull();
  });

  it('stops at its depth bound instead of walking without end', () => {
    let deep: unknown = 'x\u0000';
    for (let i = 0; i < 100; i++) deep = [deep];
    expect(nulTextIssue(deep)).toBeNull();
    expect(nulTextIssue(deep, [], 200)?.path).toMatch(/^0(\.0)+$/);
  });
});

describe('parseJsonBody', () => {
  const schema = z.strictObject({ name: z.string().min(1), labels: z.record(z.string(), z.string()).default({}) });
  const post = (body: string) => new Request('http://127.0.0.1/api/v1/x', { method: 'POST', headers: { 'content-type': 'application/json' }, body });

  it('answers a NUL in any field with a 400 naming it, before the schema', async () => {
    const r = await parseJsonBody(post('{"name":"a\\u0000b"}'), schema);
    expect(r.ok).toBe(false);
    const res = (r as { response: Response }).response;
    expect(res.status).toBe(400);
    expect(await res.json()).toEqual({ error: { code: 'API_ERR_SCHEMA', message: `invalid body: name: ${NUL_TEXT_MESSAGE}`, issues: [{ path: 'name', message: NUL_TEXT_MESSAGE }] } });
    const key = await parseJsonBody(post('{"name":"n","labels":{"a\\u0000":"b"}}'), schema);
    expect(key.ok).toBe(false);
  });

  it('parses a body without one as before', async () => {
    expect(await parseJsonBody(post('{"name":"n"}'), schema)).toEqual({ ok: true, data: { name: 'n', labels: {} } });
  });
});
