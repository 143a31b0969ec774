import type { Metadata } from 'next';
import { SetupForm } from '@/components/auth/setup-form';

export const dynamic = 'force-dynamic';

export const metadata: Metadata = { title: 'Set up' };

export default async function SetupPage(props: { searchParams: Promise<Record<string, string | string[] | undefined>> }) {
  const sp = await props.searchParams;
  return <SetupForm token={typeof sp.token === 'string' ? sp.token : ''} />;
}
