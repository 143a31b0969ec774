/**
 * Server-side render of a dashboard component to HTML, inside the URL context the time
 * components read (`?tz=`), so a table's markup is tested without a browser.
 */
import { createElement, type ComponentType } from 'react';
import { renderToStaticMarkup } from 'react-dom/server';
import { SearchParamsContext } from 'next/dist/shared/lib/hooks-client-context.shared-runtime';

export function renderHtml<P extends object>(component: ComponentType<P>, props: P, query = ''): string {
  return renderToStaticMarkup(createElement(SearchParamsContext.Provider, { value: new URLSearchParams(query) }, createElement(component, props)));
}

/** The text of `html` without its tags, whitespace collapsed. */
export function textOf(html: string): string {
  return html.replace(/<[^>]+>/g, ' ').replace(/&amp;/g, '&').replace(/&lt;/g, '<').replace(/&gt;/g, '>').replace(/&quot;/g, '"').replace(/&#x27;/g, "'").replace(/\s+/g, ' ').trim();
}
