import { describe, expect, it } from 'vitest';
import { parseAuthConfig, parseRoleMap, roleFromClaim } from '../../../lib/config/auth-env';

describe('auth configuration', () => {
  it('has safe defaults: a week of session, SSO off, nobody behind a proxy', () => {
    const c = parseAuthConfig({});
    expect(c.DROPSCOPE_SESSION_MAX_AGE).toBe(7 * 86_400_000);
    expect(c.DROPSCOPE_OIDC_ISSUER).toBeUndefined();
    expect(c.DROPSCOPE_TRUSTED_PROXIES).toBeNull();
    expect(c.DROPSCOPE_OIDC_ROLE_MAP).toEqual([{ claimValue: '*', role: 'viewer' }]);
  });

  it('names the variable of each bad value', () => {
    expect(() => parseAuthConfig({ DROPSCOPE_ADMIN_EMAIL: 'ops@example.com' })).toThrow(/DROPSCOPE_ADMIN_PASSWORD: set DROPSCOPE_ADMIN_EMAIL and DROPSCOPE_ADMIN_PASSWORD together/);
    expect(() => parseAuthConfig({ DROPSCOPE_ADMIN_EMAIL: 'ops@example.com', DROPSCOPE_ADMIN_PASSWORD: 'short' })).toThrow(/DROPSCOPE_ADMIN_PASSWORD: expected at least 12/);
    expect(() => parseAuthConfig({ DROPSCOPE_OIDC_ISSUER: 'https://login.example.com' })).toThrow(/DROPSCOPE_OIDC_CLIENT_ID: required/);
    expect(() => parseAuthConfig({ DROPSCOPE_OIDC_ROLE_MAP: 'sre=root' })).toThrow(/DROPSCOPE_OIDC_ROLE_MAP: unknown role "root"/);
    expect(() => parseAuthConfig({ DROPSCOPE_SESSION_MAX_AGE: '10' })).not.toThrow();
    expect(() => parseAuthConfig({ DROPSCOPE_SESSION_MAX_AGE: 'forever' })).toThrow(/DROPSCOPE_SESSION_MAX_AGE/);
    expect(() => parseAuthConfig({ DROPSCOPE_TRUSTED_PROXIES: 'proxy.internal' })).toThrow(/DROPSCOPE_TRUSTED_PROXIES: "proxy.internal" is not a CIDR/);
    expect(() => parseAuthConfig({ DROPSCOPE_TRUSTED_PROXIES: '10.0.0.0/33' })).toThrow(/DROPSCOPE_TRUSTED_PROXIES/);
    expect(() => parseAuthConfig({ DROPSCOPE_METRICS_LISTEN: '9464' })).toThrow(/DROPSCOPE_METRICS_LISTEN: expected host:port/);
  });

  it('takes trusted proxies as CIDRs', () => {
    const proxies = parseAuthConfig({ DROPSCOPE_TRUSTED_PROXIES: '127.0.0.1/32, 10.0.0.0/8, fd00::/8' }).DROPSCOPE_TRUSTED_PROXIES!;
    expect(proxies.allowsAddress('10.9.8.7')).toBe(true);
    expect(proxies.allowsAddress('198.51.100.7')).toBe(false);
  });
});

describe('roles from a single sign-on claim', () => {
  const map = parseRoleMap('sre-admins=admin, sre=editor, *=viewer');
  if (typeof map === 'string') throw new Error(map);

  it('gives the highest role any of the person\'s groups maps to', () => {
    expect(roleFromClaim(['sre', 'sre-admins'], map)).toBe('admin');
    expect(roleFromClaim(['sre'], map)).toBe('editor');
    expect(roleFromClaim([], map)).toBe('viewer');
    expect(roleFromClaim('sre other', map)).toBe('editor');
    expect(roleFromClaim(undefined, map)).toBe('viewer');
  });

  it('gives none when nothing matches and there is no wildcard', () => {
    const strict = parseRoleMap('sre=editor');
    if (typeof strict === 'string') throw new Error(strict);
    expect(roleFromClaim(['marketing'], strict)).toBeNull();
    expect(roleFromClaim(undefined, strict)).toBeNull();
  });

  it('says what is wrong with a map', () => {
    expect(parseRoleMap('sre')).toMatch(/expected value=role pairs/);
    expect(parseRoleMap('sre=god')).toMatch(/unknown role "god"/);
  });
});
