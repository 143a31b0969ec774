/**
 * What the agent keeps of a refusal: the words of its body, its identifying headers within
 * the contract's bounds, and no credential of ours even when the answer echoes our request.
 * The pages are the ones the real layers send (nginx 1.22, HAProxy 2.6, squid 5.7).
 */
import { describe, expect, it } from 'vitest';
import { toProxyConfig } from '../../../agent/config';
import { bodyExcerpt, challengeSchemes, pickHeaders, REFUSAL_HEADERS, scrubber, secretsOf } from '../../../agent/dial/refusal';

const NGINX_502 = '<html>\r\n<head><title>502 Bad Gateway</title></head>\r\n<body>\r\n<center><h1>502 Bad Gateway</h1></center>\r\n<hr><center>nginx/1.22.1</center>\r\n</body>\r\n</html>\r\n';
const HAPROXY_503 = '<html><body><h1>503 Service Unavailable</h1>\nNo server is available to handle this request.\n</body></html>\n';
const SQUID_403 = `<!DOCTYPE html PUBLIC "-//W3C//DTD HTML 4.01//EN" "http://www.w3.org/TR/html4/strict.dtd">
<html><head>
<meta type="copyright" content="Copyright (C) 1996-2022 The Squid Software Foundation and contributors">
<meta http-equiv="Content-Type" CONTENT="text/html; charset=utf-8">
<title>ERROR: The requested URL could not be retrieved</title>
<style type="text/css"><!--
 /* a stylesheet of a few KiB */ body { font-family: verdana, sans-serif; }
--></style>
</head><body id=ERR_ACCESS_DENIED>
<div id="titles">
<h1>ERROR</h1>
<h2>The requested URL could not be retrieved</h2>
</div>
<hr>
<div id="content">
<p>The following error was encountered while trying to retrieve the URL: <a href="example.net:443">example.net:443</a></p>
<blockquote id="error">
<p><b>Access Denied.</b></p>
</blockquote>
`;

describe('bodyExcerpt', () => {
  it.each([
    ['nginx 502: the title, and its text after the repeated heading', NGINX_502, 'text/html', '502 Bad Gateway - nginx/1.22.1'],
    ["HAProxy's 503: the heading and the first sentence", HAPROXY_503, 'text/html', '503 Service Unavailable - No server is available to handle this request.'],
    ["squid's error page: the title and the first line that does not repeat it", SQUID_403, 'text/html;charset=utf-8', 'ERROR: The requested URL could not be retrieved - The following error was encountered while trying to retrieve the URL: example.net:443'],
    ['plain text: the first non-empty line, whitespace collapsed', '\n\n  Upgrade   Required\t please \nsecond line\n', 'text/plain', 'Upgrade Required please'],
    ['JSON (API Gateway): its first line', '{"message":"Forbidden"}', 'application/json', '{"message":"Forbidden"}'],
    ['HTML without a content type, with entities', '<!doctype html><title>Access &amp; denial &#8212; &lt;x&gt;</title><p>Go away. Now.</p>', '', 'Access & denial \u2014 <x> - Go away.'],
    ['a page cut inside its stylesheet: the title only', '<html><head><title>Blocked</title><style>body { color: red; ', 'text/html', 'Blocked'],
    ['a page with a script and a comment: neither is text', '<html><body><!-- hidden. --><script>var a = "no.";</script><p>Shown text. More.</p></body></html>', 'text/html', 'Shown text.'],
  ])('%s', (_what, body, contentType, expected) => {
    expect(bodyExcerpt(Buffer.from(body), contentType)).toBe(expected);
  });

  it('is at most 256 characters, and absent for an empty or binary body', () => {
    expect(bodyExcerpt(Buffer.from('x'.repeat(5000)))!.length).toBe(256);
    expect(bodyExcerpt(Buffer.alloc(0))).toBeUndefined();
    expect(bodyExcerpt(Buffer.from([0x1f, 0x8b, 0x08, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x03]))).toBeUndefined();
    expect(bodyExcerpt(Buffer.from('\n \n\t\n'))).toBeUndefined();
  });

  it('never contains control characters (a NUL would fail the whole batch at the database)', () => {
    expect(bodyExcerpt(Buffer.from('bad\u0001\u001b[31mred'))).toBe('bad [31mred');
  });
});

describe('challengeSchemes', () => {
  it.each([
    ['Basic realm="squid proxy-caching web server"', 'Basic'],
    ['Negotiate, NTLM, Basic realm="corp, inc."', 'Negotiate, NTLM, Basic'],
    ['Digest realm="x", qop="auth", nonce="abc", Basic realm="y"', 'Digest, Basic'],
    ['Bearer abc.def==', 'Bearer'],
  ])('%s -> %s', (value, schemes) => {
    expect(challengeSchemes(value)).toBe(schemes);
  });
});

describe('pickHeaders', () => {
  it('keeps the refusal headers in priority order, bounded as the contract requires', () => {
    const headers: Record<string, string | string[]> = { date: 'today', 'set-cookie': ['a=1'], 'x-squid-error': 'ERR_CONNECT_FAIL 111', server: 'squid/5.7', via: ['1.1 a', '1.1 b'], 'x-cache': 'x'.repeat(600), 'proxy-authenticate': ['Basic realm="r"', 'NTLM'] };
    for (const h of REFUSAL_HEADERS) headers[h] ??= `v-${h}`;
    const picked = pickHeaders(headers, REFUSAL_HEADERS);
    expect(Object.keys(picked)).toHaveLength(16);
    expect(Object.keys(picked).slice(0, 4)).toEqual(['server', 'via', 'x-squid-error', 'proxy-status']);
    expect(picked).toMatchObject({ via: '1.1 a, 1.1 b', 'proxy-authenticate': 'Basic, NTLM' });
    expect(picked['x-cache']).toHaveLength(512);
    expect(picked).not.toHaveProperty('date');
    expect(picked).not.toHaveProperty('set-cookie');
  });
});

describe('secretsOf / scrubber', () => {
  it('finds the proxy credentials in every form an echo could use, and the target headers\' values', () => {
    const canary = {
      proxy: toProxyConfig({ name: 'p', url: 'http://probe%40corp:p%C3%A4ss%3Aword@proxy.example:3128' }),
      target: { name: 't', url: 'ws://x/', headers: { authorization: 'Bearer tok-123456' }, subprotocols: [], tls: { verify: true } },
    };
    const scrub = scrubber(secretsOf(canary));
    const basic = Buffer.from('probe@corp:päss:word').toString('base64');
    const said = `Proxy-Authorization: Basic ${basic}; user probe@corp, password päss:word (p%C3%A4ss%3Aword); auth Bearer tok-123456`;
    const out = scrub(said);
    for (const secret of [basic, 'probe@corp', 'päss:word', 'p%C3%A4ss%3Aword', 'tok-123456']) expect(out).not.toContain(secret);
    expect(out).toContain('Proxy-Authorization: Basic [redacted]');
  });

  it('leaves text alone when there is nothing to hide', () => {
    expect(scrubber(secretsOf({ proxy: toProxyConfig({ name: 'd', url: 'direct' }), target: { name: 't', url: 'ws://x/', headers: {}, subprotocols: [], tls: { verify: true } } }))('as is')).toBe('as is');
  });
});
