/**
 * The small notice a page shows above itself when its URL carried parameters it does not
 * know (a chat tool's `utm_source`): the page renders as usual, and says what it ignored,
 * with the same link without them. No hooks: server components render it.
 */
import { ignoredNotice } from '../../lib/dashboard/query-params';

export function IgnoredParams({ ignored, cleanHref }: { ignored: readonly string[]; cleanHref: string }) {
  if (ignored.length === 0) return null;
  return (
    // Styled inline: a quiet note, not an alert (the page itself is fine).
    <p className="banner query-notice" role="note" data-testid="ignored-params" data-ignored={ignored.join(',')} style={{ border: '1px solid var(--border)', color: 'var(--muted)', fontSize: '0.9rem' }}>
      {ignoredNotice(ignored)}. <a href={cleanHref}>Link without {ignored.length > 1 ? 'them' : 'it'}</a>
    </p>
  );
}
