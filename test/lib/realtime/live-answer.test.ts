/**
 * The live endpoints' answer memo as a route sees it, and the claim it exists for: many
 * viewers of one live view cost what one costs. Computations are counted by the handler
 * itself; time is a fake clock (the viewers' aligned throttles and the memo's ages alike).
 */
import { describe, expect, it } from 'vitest';
import { createAnswerMemo, type AnswerSource } from '../../../lib/realtime/answer-memo';
import { liveCadenceMs } from '../../../lib/realtime/cadence';
import { liveAnswer, normalisedQuery, type KeptAnswer, type LiveReportName } from '../../../lib/realtime/live-answer';
import { createRefetcher } from '../../../lib/realtime/refetcher';
import { fakeClock } from '../../helpers/fake-clock';

const tick = () => new Promise((r) => setTimeout(r, 0));
const ORIGIN = 'a1b2c3d4e5f6';
const wm = (n: number) => `${ORIGIN}:${n}`;

/** A route handler that counts its computations and answers when the test lets it. */
function countingRoute() {
  const asked: string[] = [];
  const pending: (() => void)[] = [];
  const handler = async (request: Request) => {
    asked.push(new URL(request.url).search);
    await new Promise<void>((resolve) => pending.push(resolve));
    const status = new URL(request.url).searchParams.get('range') === 'bad' ? 400 : 200;
    return Response.json({ computation: asked.length }, { status, headers: { 'cache-control': 'no-store' } });
  };
  /** Let every computation in flight answer, and the awaits behind them run. */
  const settle = async () => {
    while (pending.length > 0) {
      for (const p of pending.splice(0)) p();
      await tick();
    }
  };
  return { handler, asked, settle };
}

function setup(report: LiveReportName = 'paths') {
  const { clock, advance } = fakeClock();
  const memo = createAnswerMemo<KeptAnswer>({ maxEntries: 100, maxBytes: 1 << 20, now: clock.now }, (a) => a.body.length);
  const sources: AnswerSource[] = [];
  const route = countingRoute();
  const GET = liveAnswer(report, { kind: 'scope' }, route.handler, { memo, metrics: { answer: (_r, s) => sources.push(s) }, wallNow: clock.now });
  return { clock, advance, memo, sources, route, GET };
}

describe('liveAnswer', () => {
  it('hands the handler its own query string, without w, and shares one answer per (query, watermark)', async () => {
    const { GET, route, sources } = setup();
    const answers = Promise.all([
      GET(new Request(`http://x/api/v1/paths?range=1h&proxy=squid&w=${wm(1)}`)),
      GET(new Request(`http://x/api/v1/paths?proxy=squid&w=${wm(1)}&range=1h`)),
    ]);
    await route.settle();
    const [a, b] = await answers;
    expect(route.asked).toEqual(['?range=1h&proxy=squid']);
    expect(await a!.json()).toEqual({ computation: 1 });
    expect(await b!.json()).toEqual({ computation: 1 });
    expect(a!.headers.get('cache-control')).toBe('no-store');
    expect(sources).toEqual(['computed', 'joined']);

    // Kept: a later viewer of the same watermark gets it from the memo.
    expect(await (await GET(new Request(`http://x/api/v1/paths?range=1h&proxy=squid&w=${wm(1)}`))).json()).toEqual({ computation: 1 });
    expect(sources.at(-1)).toBe('memo');
    // A new watermark is a new answer.
    const next = GET(new Request(`http://x/api/v1/paths?range=1h&proxy=squid&w=${wm(2)}`));
    await route.settle();
    expect(await (await next).json()).toEqual({ computation: 2 });
  });

  it("keeps an answer for its view's refresh period: 2 s at 1 h, 30 s at 7 d", async () => {
    const { GET, route, advance } = setup();
    const ask = async (q: string) => {
      const res = GET(new Request(`http://x/api/v1/paths?${q}&w=${wm(1)}`));
      await route.settle();
      return ((await (await res).json()) as { computation: number }).computation;
    };
    expect(await ask('range=1h')).toBe(1);
    expect(await ask('range=7d')).toBe(2);
    advance(liveCadenceMs(3_600_000) - 1);
    expect(await ask('range=1h')).toBe(1);
    advance(1);
    expect(await ask('range=1h')).toBe(3);
    expect(await ask('range=7d')).toBe(2);
    advance(30_000);
    expect(await ask('range=7d')).toBe(4);
  });

  it('answers a request without w afresh every time (a script that just posted a batch)', async () => {
    const { GET, route, memo } = setup();
    for (let i = 1; i <= 3; i++) {
      const res = GET(new Request('http://x/api/v1/paths?range=1h'));
      await route.settle();
      expect(await (await res).json()).toEqual({ computation: i });
    }
    expect(memo.size().entries).toBe(0);
  });

  it('refuses a malformed or repeated w with a 400 naming it, before computing anything', async () => {
    const { GET, route } = setup();
    for (const w of ['w=nope', `w=${wm(1)}&w=${wm(2)}`, 'w=']) {
      const res = await GET(new Request(`http://x/api/v1/paths?range=1h&${w}`));
      expect(res.status).toBe(400);
      const body = (await res.json()) as { error: { code: string; issues: { path: string }[] } };
      expect(body.error.code).toBe('API_ERR_QUERY');
      expect(body.error.issues[0]!.path).toBe('w');
    }
    expect(route.asked).toEqual([]);
  });

  it('shares but does not keep an answer other than 200', async () => {
    const { GET, route, memo } = setup();
    const both = Promise.all([GET(new Request(`http://x/api/v1/paths?range=bad&w=${wm(1)}`)), GET(new Request(`http://x/api/v1/paths?range=bad&w=${wm(1)}`))]);
    await route.settle();
    expect((await both).map((r) => r.status)).toEqual([400, 400]);
    expect(route.asked).toHaveLength(1);
    expect(memo.size().entries).toBe(0);
  });

  it('normalises a query by parameter name only, keeping values and repeated names as they are', () => {
    expect(normalisedQuery(new URLSearchParams('range=1h&by=probe&probe='))).toBe('by=probe&probe=&range=1h');
    expect(normalisedQuery(new URLSearchParams('label=b%3D2&label=a%3D1'))).toBe('label=b%3D2&label=a%3D1');
  });
});

/**
 * `viewers` live pages on one view, as use-live-report drives them: a catch-up when the
 * socket is up, then a refetch per push through the wall-clock-aligned throttle, each
 * naming the newest watermark. Pushes every 250 ms (the server's coalescing interval) for
 * `seconds`. Returns how many answers the server computed, and how many it served.
 */
async function liveViewers(viewers: number, seconds: number, query: string) {
  const { clock, advance, route, GET } = setup();
  const cadence = liveCadenceMs(3_600_000);
  let newest: string | null = null;
  let served = 0;
  const pages = Array.from({ length: viewers }, () => {
    let watermark: string | null = null;
    const r = createRefetcher(
      {
        load: async () => {
          const res = await GET(new Request(`http://x/api/v1/paths?${query}${watermark ? `&w=${watermark}` : ''}`));
          served++;
          return res.json();
        },
        onData: () => {},
        onError: (e) => expect.fail(e.message),
      },
      cadence,
      clock,
      { aligned: true },
    );
    return {
      connect: () => {
        watermark = newest;
        r.refresh();
      },
      push: (w: string) => {
        watermark = w;
        r.request();
      },
      close: () => r.close(),
    };
  });

  // A first push before anyone connects: the server's hello then names it.
  newest = wm(0);
  // The viewers open the page over a few seconds, each at its own moment.
  for (const p of pages) {
    p.connect();
    await route.settle();
    advance(Math.floor(3000 / viewers));
  }
  await route.settle();
  const atConnect = route.asked.length;

  for (let i = 1; i <= seconds * 4; i++) {
    newest = wm(i);
    for (const p of pages) p.push(newest);
    await route.settle();
    advance(250);
    await route.settle();
  }
  advance(cadence);
  await route.settle();
  for (const p of pages) p.close();
  return { catchUps: atConnect, computed: route.asked.length - atConnect, served };
}

describe('many viewers of one live view', () => {
  it('50 viewers cost what one costs: one computation per refresh slot and watermark, whatever the number of viewers', async () => {
    const one = await liveViewers(1, 20, 'range=1h');
    const fifty = await liveViewers(50, 20, 'range=1h');
    // 80 pushes in 20 s, in 2 s slots: one refetch per slot (each for that moment's newest
    // watermark), plus the leading one and the trailing one after the last push.
    expect(one.computed).toBeLessThanOrEqual(20 / 2 + 2);
    expect(fifty.computed).toBe(one.computed);
    // Every viewer was answered every time; the server computed once for all of them.
    expect(fifty.served).toBeGreaterThanOrEqual(50 * one.computed);
    // The catch-ups name the newest watermark: shared too, renewed once per period at most.
    expect(fifty.catchUps).toBeLessThanOrEqual(2);
  });

  it('a slower view refreshes on its slower cadence: a 7-day view computes at most once per 30 s', async () => {
    // The throttle's cadence here is the test's (liveViewers uses the 1 h one), so drive a
    // 7-day view directly: pushes every 250 ms for 60 s, 20 viewers.
    const { clock, advance, route, GET } = setup();
    const cadence = liveCadenceMs(7 * 24 * 3_600_000);
    expect(cadence).toBe(30_000);
    const marks: string[] = [];
    const pages = Array.from({ length: 20 }, () =>
      createRefetcher(
        {
          load: async () => (await GET(new Request(`http://x/api/v1/paths?range=7d&w=${marks.at(-1)}`))).json(),
          onData: () => {},
          onError: (e) => expect.fail(e.message),
        },
        cadence,
        clock,
        { aligned: true },
      ),
    );
    for (let i = 1; i <= 240; i++) {
      marks.push(wm(i));
      for (const p of pages) p.request();
      await route.settle();
      advance(250);
    }
    await route.settle();
    for (const p of pages) p.close();
    // 60 s of pushes: the leading refetch and one per 30 s slot after it.
    expect(route.asked.length).toBeLessThanOrEqual(3);
    expect(route.asked.length).toBeGreaterThanOrEqual(2);
  });
});
