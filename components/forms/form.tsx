'use client';
/**
 * Every dashboard form: a `<form>` whose controls stay disabled until the page has
 * hydrated (./hydration.tsx), so nothing can be typed that React would not read, and no
 * submit can fall through to the browser's GET with the fields in the URL. The fieldset
 * takes no box of its own (`display: contents`), so the form's layout is its children's.
 */
import type { ComponentPropsWithoutRef } from 'react';
import css from './form.module.css';
import { useHydrated } from './hydration';

export function Form({ children, ...props }: ComponentPropsWithoutRef<'form'>) {
  const hydrated = useHydrated();
  return (
    <form {...props} aria-busy={hydrated ? undefined : true}>
      <fieldset className={css.fields} disabled={!hydrated}>
        {children}
      </fieldset>
    </form>
  );
}
