import { headers } from 'next/headers';
import { OverviewDashboard } from '@/components/overview/overview-dashboard';
import { getDatabase } from '@/db/client';
import { overview } from '@/db/queries/overview';
import { curlExample } from '@/lib/overview/curl-example';
import { HOUR_MS } from '@/lib/overview/overview';

// Reads the database on every request; without this, `next build` would prerender it.
export const dynamic = 'force-dynamic';

export default async function Page() {
  const now = new Date();
  const [data, origin] = await Promise.all([overview(getDatabase().db, { now, windowMs: HOUR_MS }), requestOrigin()]);
  return <OverviewDashboard initial={data} windowParam="1h" origin={origin} curlCommand={curlExample(origin, now).command} />;
}

/**
 * The address the browser used, for the copy-paste examples. Only shown, never fetched;
 * an implausible Host header gets a placeholder rather than being echoed into a shell command.
 */
async function requestOrigin(): Promise<string> {
  const h = await headers();
  const host = h.get('x-forwarded-host') ?? h.get('host') ?? '';
  const proto = h.get('x-forwarded-proto') === 'https' ? 'https' : 'http';
  return /^[A-Za-z0-9.-]+(:[0-9]{1,5})?$|^\[[0-9A-Fa-f:.]+\](:[0-9]{1,5})?$/.test(host) ? `${proto}://${host}` : 'http://DROPSCOPE-HOST:3000';
}
