/**
 * The analysis and overview cards as the page renders them (issue 19): a signature's spread
 * in milliseconds, its instants through <Instant>, its paths table's export and its fix as
 * an attribute; the overview's cards say the instant they were read at.
 */
import { describe, expect, it } from 'vitest';
import { corpus } from '../../../bench/attribution/corpus';
import type { Scenario } from '../../../bench/attribution/scenario';
import { FindingsList } from '../../../components/analysis/findings-list';
import { fixData, SignatureCard } from '../../../components/analysis/signature-card';
import { TopSignatures } from '../../../components/analysis/top-signatures';
import { PathTiles } from '../../../components/overview/path-tiles';
import { analyzeSessions } from '../../../lib/analysis/analyze';
import { BUILTIN_LAYERS } from '../../../lib/analysis/catalogue';
import type { Finding } from '../../../lib/analysis/findings';
import type { PathCell } from '../../../lib/paths/types';
import { renderHtml, textOf } from '../../app/render';

const scenario = corpus().find((s): s is Scenario => 'sessions' in s && s.expect.signatures.length > 0)!;
const sig = analyzeSessions(scenario.sessions, [...BUILTIN_LAYERS, ...(scenario.layers ?? [])]).signatures[0]!;

describe('the signature card', () => {
  it('says its spread in milliseconds with the range, never "±0.00 s"', () => {
    const html = renderHtml(SignatureCard, { sig: { ...sig, spreadMs: 12, minMs: 20_000, maxMs: 20_190 } });
    expect(textOf(html)).toContain('spread ±12 ms, 190 ms from shortest to longest');
    expect(textOf(html)).not.toContain('±0.00 s');
  });

  it('lists the layers it names; a default that merely equals N is folded away as not named', () => {
    const candidate = { layerId: 'azure-appgw', name: 'Azure Application Gateway request timeout', timeoutS: 20, kind: 'idle' as const, setting: 'request timeout', reasons: ['N = 20.0 s matches'], basis: 'default' as const };
    const named = renderHtml(SignatureCard, { sig: { ...sig, endedBy: 'layer', candidates: [{ ...candidate, score: 5.5 }] } });
    expect(named).toContain('data-testid="candidates"');
    expect(named).not.toContain('data-testid="unnamed-candidates"');
    const coincidence = renderHtml(SignatureCard, { sig: { ...sig, endedBy: 'layer', candidates: [{ ...candidate, score: 2.5 }] } });
    expect(coincidence).toMatch(/<details[^>]*data-testid="unnamed-candidates"[^>]*><summary[^>]*>Not named: 1 catalogue layer with a timeout near \d+\.\d s, none fitting this cut<\/summary><ol[^>]*data-testid="candidates"/);
    expect(coincidence).not.toMatch(/<details[^>]* open/);
  });

  it('writes first and last seen through <Instant>, in the URL\'s zone', () => {
    const html = renderHtml(SignatureCard, { sig });
    expect(html).toContain(`<time dateTime="${sig.firstSeen}"`);
    expect(html).toContain(`<time dateTime="${sig.lastSeen}"`);
    expect(textOf(html)).not.toContain(' UTC · last');
  });

  it('offers its paths table as CSV and JSON, and carries its fix', () => {
    const html = renderHtml(SignatureCard, { sig });
    expect(html).toContain(`aria-label="Export signature-${sig.key}-paths"`);
    expect(html).toContain(`data-fix="${fixData(sig)}"`);
    expect(fixData({ fix: { kind: 'heartbeat', intervalMs: 10_000 } })).toBe('heartbeat:10000');
  });
});

describe('the findings list', () => {
  it('marks a finding that repeats a signature\'s fix', () => {
    const f: Finding = { kind: 'ladder', severity: 'warning', title: 't', detail: 'd', recommendation: 'See the 20.0 s signature: send a WebSocket ping at least every 10 s on this path.', fix: { kind: 'heartbeat', intervalMs: 10_000 }, signature: 'age-20.0s' };
    const html = renderHtml(FindingsList, { findings: [f] });
    expect(html).toContain('data-signature="age-20.0s"');
    expect(html).toContain('data-fix="heartbeat:10000"');
    expect(textOf(html)).toContain('Fix: See the 20.0 s signature');
  });

  it('calls what an info finding says a note, not a fix: the path is fine', () => {
    const f: Finding = { kind: 'ladder', severity: 'info', title: 'demo → direct → builtin: survives every rung, up to 30 s idle', detail: 'd', recommendation: 'No idle timeout below the longest rung on this path.' };
    const text = textOf(renderHtml(FindingsList, { findings: [f] }));
    expect(text).toContain('Note: No idle timeout below the longest rung on this path.');
    expect(text).not.toContain('Fix:');
  });
});

describe('the overview cards say when they were read', () => {
  const cell = { id: 'builtin~direct', target: 'builtin', proxy: 'direct', probe: null, attempts: 10, opened: 10, upgradeRatio: 1, ended: 9, drops: 3, dropShare: 1 / 3, dropsPerHour: 30, dataMs: 6 * 60_000, medianLifetimeMs: 20_000, medianDropLifetimeMs: 20_000, probeClosed: 6, lastAttemptAt: '2026-11-01T12:00:00.000Z', health: 'failing' } satisfies PathCell;

  it('path tiles: as of the matrix\'s instant', () => {
    const html = renderHtml(PathTiles, { cells: [cell], asOf: '2026-11-01T12:05:07.000Z' });
    expect(html).toContain('<time dateTime="2026-11-01T12:05:07.000Z"');
    expect(textOf(html)).toContain('as of 12:05:07');
  });

  it('top signatures: as of the analysis\' instant, with each signature\'s fix', () => {
    const html = renderHtml(TopSignatures, { signatures: [sig], totalDrops: sig.count, asOf: '2026-11-01T12:05:07.000Z' });
    expect(textOf(html)).toContain('as of 12:05:07');
    expect(textOf(html)).toContain(sig.recommendation);
  });
});
