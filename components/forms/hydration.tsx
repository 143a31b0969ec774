'use client';
/**
 * Whether this page's JavaScript has taken over the server's HTML. Until it has, a form
 * typed into is read by no one (React's state never saw the keys) and a submit is the
 * browser's own: a GET of the page with every field in the URL, the sign-in password
 * included. Forms stay disabled until then (./form.tsx).
 */
import { useEffect, useSyncExternalStore } from 'react';

const subscribe = () => () => {};

/** True in a hydrated browser; false on the server and during hydration. */
export function useHydrated(): boolean {
  return useSyncExternalStore(subscribe, () => true, () => false);
}

/**
 * Marks `<html data-hydrated>` once the root has hydrated: what browser tests and anyone
 * scripting the dashboard wait for before they type.
 */
export function HydrationMark(): null {
  useEffect(() => {
    document.documentElement.dataset.hydrated = '';
  }, []);
  return null;
}
