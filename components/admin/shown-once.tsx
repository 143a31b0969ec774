'use client';
/**
 * A secret the server shows once (a probe's or an API token's value), with ready-to-copy
 * snippets that use it. It lives only in this component's state: a reload or "Done" drops
 * it for good. Focus moves here when it appears, so keyboard and screen-reader users land
 * on it rather than on the form they just submitted.
 */
import { useEffect, useId, useRef, useState } from 'react';
import css from './admin.module.css';

export interface Snippet {
  /** What the text is, e.g. "/etc/dropscope/probe.yaml". */
  label: string;
  text: string;
  /** data-testid of the code block. */
  testId: string;
}

function CopyButton({ text, what }: { text: string; what: string }) {
  const [state, setState] = useState<'idle' | 'copied' | 'failed'>('idle');
  async function copy() {
    try {
      await navigator.clipboard.writeText(text);
      setState('copied');
    } catch {
      // No clipboard outside a secure context (plain http on another host): the text is
      // selectable (user-select: all) instead.
      setState('failed');
    }
  }
  return (
    <span className={css.actions}>
      <button type="button" className={css.button} onClick={() => void copy()} aria-label={`Copy ${what}`}>
        Copy
      </button>
      <span aria-live="polite" className={state === 'failed' ? css.error : css.copied}>
        {state === 'copied' ? 'Copied' : state === 'failed' ? 'Copying is blocked here: select the text and copy it' : ''}
      </span>
    </span>
  );
}

export function ShownOnce({ title, secretLabel, secret, snippets, note, onDone }: { title: string; secretLabel: string; secret: string; snippets: Snippet[]; note?: string; onDone(): void }) {
  const panel = useRef<HTMLElement>(null);
  const id = useId();
  useEffect(() => {
    panel.current?.focus();
    panel.current?.scrollIntoView({ block: 'nearest' });
  }, [secret]);
  return (
    <section ref={panel} className={css.once} tabIndex={-1} aria-labelledby={`${id}-title`} data-testid="shown-once">
      <h2 id={`${id}-title`}>{title}</h2>
      <p className={css.onceWarn}>Copy it now: it is shown this once and cannot be read again. Lost, make a new one.</p>
      <div className={css.snippet}>
        <div className={css.snippetHead}>
          <span id={`${id}-secret`}>{secretLabel}</span>
          <CopyButton text={secret} what={secretLabel} />
        </div>
        <code className={css.secret} aria-labelledby={`${id}-secret`} data-testid="shown-secret">
          {secret}
        </code>
      </div>
      {note && <p className={css.note}>{note}</p>}
      {snippets.map((s) => (
        <div key={s.testId} className={css.snippet}>
          <div className={css.snippetHead}>
            <span>{s.label}</span>
            <CopyButton text={s.text} what={s.label} />
          </div>
          <pre className={css.code} data-testid={s.testId}>
            {s.text}
          </pre>
        </div>
      ))}
      <div className={css.actions}>
        <button type="button" className={css.button} onClick={onDone}>
          Done, I stored it
        </button>
      </div>
    </section>
  );
}
