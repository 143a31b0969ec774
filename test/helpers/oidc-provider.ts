/**
 * A real OpenID provider for the single sign-on tests (panva's oidc-provider, with its
 * development login page: any login and password are accepted, and the login is the
 * account's id). Accounts' groups come from `groups`; an account not listed has none.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import Provider from 'oidc-provider';

export interface TestProvider {
  issuer: string;
  clientId: string;
  clientSecret: string;
  close(): Promise<void>;
}

export async function startOidcProvider(options: { redirectUri: string; groups: Record<string, string[]> }): Promise<TestProvider> {
  const server: Server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const issuer = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const client = { client_id: 'dropscope-test', client_secret: 'dropscope-test-secret-0123456789abcdef' };
  const provider = new Provider(issuer, {
    clients: [{ ...client, redirect_uris: [options.redirectUri], grant_types: ['authorization_code'], response_types: ['code'], token_endpoint_auth_method: 'client_secret_post' }],
    claims: { openid: ['sub'], email: ['email', 'email_verified'], profile: ['name'], groups: ['groups'] },
    scopes: ['openid', 'email', 'profile', 'groups'],
    features: { devInteractions: { enabled: true } },
    pkce: { required: () => true },
    cookies: { keys: ['a-test-only-cookie-key'] },
    findAccount: (_ctx, id) => ({
      accountId: id,
      claims: () => ({ sub: id, email: `${id}@sso.example.test`, email_verified: true, name: `${id} (SSO)`, groups: options.groups[id] ?? [] }),
    }),
  });
  server.on('request', provider.callback());
  return {
    issuer,
    clientId: client.client_id,
    clientSecret: client.client_secret,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}
