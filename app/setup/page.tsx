import { SetupForm } from '@/components/auth/setup-form';

export const dynamic = 'force-dynamic';

export default async function SetupPage(props: { searchParams: Promise<Record<string, string | string[] | undefined>> }) {
  const sp = await props.searchParams;
  return <SetupForm token={typeof sp.token === 'string' ? sp.token : ''} />;
}
