import type { Metadata } from 'next';
import { SignInForm } from '@/components/auth/sign-in-form';
import { parseAuthConfig } from '@/lib/config/auth-env';

export const dynamic = 'force-dynamic';

export const metadata: Metadata = { title: 'Sign in' };

export default async function SignInPage(props: { searchParams: Promise<Record<string, string | string[] | undefined>> }) {
  const sp = await props.searchParams;
  const config = parseAuthConfig(process.env);
  const next = typeof sp.next === 'string' ? sp.next : undefined;
  // better-auth appends its own error code to the `error=sso` we asked it to come back with.
  const notice = sp.error !== undefined ? 'Single sign-on did not complete (no dropscope role for you, or the provider refused).' : undefined;
  return <SignInForm next={next} oidcName={config.DROPSCOPE_OIDC_ISSUER ? config.DROPSCOPE_OIDC_NAME : undefined} notice={notice} />;
}
