/**
 * The dashboard pages' handling of their query strings (issue 19), as the server components
 * decide it, on an installed database: an unknown parameter gives the page plus a notice, a
 * bad known one a "Bad link" naming the field with a way back, a from alone older than 31
 * days is refused, the scope bar is told the default range fitted to a fresh install, and
 * every page has a title. The elements are inspected, not rendered (async server components
 * need Next's renderer; the browser tests render them: test/browser/scope.test.ts).
 */
import { isValidElement, type ReactElement, type ReactNode } from 'react';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import AnalysisPage, { metadata as analysisMeta } from '../../app/analysis/page';
import DropsPage, { metadata as dropsMeta } from '../../app/drops/page';
import HandshakesPage, { metadata as handshakesMeta } from '../../app/handshakes/page';
import OverviewPage, { metadata as overviewMeta } from '../../app/page';
import PathPage, { generateMetadata as pathMeta } from '../../app/paths/[id]/page';
import PathsPage, { metadata as pathsMeta } from '../../app/paths/page';
import ProbesPage, { metadata as probesMeta } from '../../app/probes/page';
import { metadata as setupMeta } from '../../app/setup/page';
import { metadata as signInMeta } from '../../app/sign-in/page';
import { IgnoredParams } from '../../components/dashboard/query-notice';
import { ScopeBar } from '../../components/dashboard/scope-bar';
import { BadLink } from '../../components/paths/no-probes';
import { installDatabase, uninstallDatabase, type Database } from '../../db/client';
import { storeBatch } from '../../db/queries/ingest';
import { addProbe } from '../../db/queries/probes';
import { pathId } from '../../lib/paths/path-id';
import { backends } from '../helpers/databases';
import { ended, opened } from '../helpers/events';

type Search = Record<string, string | string[] | undefined>;
const PATH_ID = pathId({ target: 'canary', proxy: 'direct' });

/** Every element of a tree, async server components (Matrix, PathBody) called as Next would. */
async function elements(node: ReactNode | Promise<ReactNode>): Promise<ReactElement<Record<string, unknown>>[]> {
  const n = await node;
  if (Array.isArray(n)) return (await Promise.all(n.map(elements))).flat();
  if (!isValidElement<Record<string, unknown>>(n)) return [];
  const out = [n];
  const type = n.type as unknown;
  if (typeof type === 'function' && type.constructor.name === 'AsyncFunction') out.push(...(await elements((type as (p: unknown) => Promise<ReactNode>)(n.props))));
  out.push(...(await elements(n.props.children as ReactNode)));
  return out;
}

const find = (els: ReactElement<Record<string, unknown>>[], type: unknown) => els.filter((e) => e.type === type);

const PAGES: [string, (search: Search) => Promise<ReactNode>][] = [
  ['drops', (s) => DropsPage({ searchParams: Promise.resolve(s) })],
  ['paths', (s) => PathsPage({ searchParams: Promise.resolve(s) })],
  ['path', (s) => PathPage({ params: Promise.resolve({ id: PATH_ID }), searchParams: Promise.resolve(s) })],
  ['handshakes', (s) => HandshakesPage({ searchParams: Promise.resolve(s) })],
  ['analysis', (s) => AnalysisPage({ searchParams: Promise.resolve(s) })],
  ['probes', (s) => ProbesPage({ searchParams: Promise.resolve(s) })],
];

// PGlite alone: what is tested is the pages' decisions, not the queries (test/api/dashboard-query.test.ts runs both backends).
const backend = backends()[0]!;

describe('dashboard pages and their query strings', () => {
  let database: Database;
  beforeAll(async () => {
    database = await backend.open();
    installDatabase(database);
    const { probe } = await addProbe(database.db, { name: 'edge-1', labels: {} });
    const base = new Date(Date.now() - 10 * 60_000);
    await storeBatch(database.db, probe.id, [opened('s-p0000001', {}, base), ended('s-p0000001', 20_000, {}, base)], new Date());
  });
  afterAll(async () => {
    if (database) uninstallDatabase(database);
    await database?.close();
  });

  it.each(PAGES)('%s: renders with a notice naming an unknown parameter', async (_name, page) => {
    const els = await elements(page({ range: '6h', utm_source: 'chat' }));
    expect(find(els, BadLink)).toHaveLength(0);
    const [notice] = find(els, IgnoredParams);
    expect(notice?.props).toMatchObject({ ignored: ['utm_source'], cleanHref: expect.stringMatching(/\?range=6h$/) });
    expect(String(notice!.props.cleanHref)).not.toContain('utm_source');
  });

  it.each(PAGES)('%s: names a bad known parameter, with a way back', async (_name, page) => {
    const [bad] = find(await elements(page({ range: '2h' })), BadLink);
    expect(bad?.props.message).toMatch(/^range: /);
    expect((bad?.props.reset as { href: string }).href).toMatch(/^\//);
  });

  it.each(PAGES)('%s: refuses a from alone more than 31 days back, naming from', async (_name, page) => {
    const [bad] = find(await elements(page({ from: '2020-01-01T00:00:00Z' })), BadLink);
    expect(bad?.props.message).toMatch(/^from: expected a range of at most 31 days/);
  });

  it.each(PAGES.filter(([name]) => name !== 'probes'))('%s: tells the scope bar the default range fitted to ten minutes of data', async (_name, page) => {
    const els = await elements(page({}));
    const options = (find(els, ScopeBar)[0]?.props.options ?? els.find((e) => (e.props.options as { defaultRange?: string } | undefined)?.defaultRange)?.props.options) as { defaultRange?: string } | undefined;
    expect(options?.defaultRange).toBe('15m');
    const withRange = await elements(page({ range: '7d' }));
    expect(find(withRange, BadLink)).toHaveLength(0);
  });

  // Its happy path reads the request's headers (Next's request scope): the browser tests see it.
  it('the overview validates its tz and histogram bar, naming them', async () => {
    const overview = (s: Search) => elements(OverviewPage({ searchParams: Promise.resolve(s) }));
    expect(find(await overview({ tz: 'mars', ref: 'x' }), BadLink)[0]?.props.message).toMatch(/^tz: /);
    expect(find(await overview({ bar: 'tall' }), BadLink)[0]?.props.message).toMatch(/^bar: /);
  });

  it('gives every page a title', async () => {
    expect([overviewMeta, dropsMeta, pathsMeta, handshakesMeta, analysisMeta, probesMeta, setupMeta, signInMeta].map((m) => m.title)).toEqual([
      // The root layout's title template does not apply to its own segment's page.
      { absolute: 'Overview · dropscope' }, 'Drops', 'Paths', 'Handshakes', 'Analysis', 'Probes', 'Set up', 'Sign in',
    ]);
    expect((await pathMeta({ params: Promise.resolve({ id: pathId({ target: 'chat', proxy: 'corp-squid' }) }) })).title).toBe('chat via corp-squid');
  });
});
