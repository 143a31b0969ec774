/** Instants on the alerts page: UTC, to the second, the same on server and browser. */
export const stamp = (iso: string | null) => (iso ? `${iso.slice(0, 19).replace('T', ' ')} UTC` : '—');
