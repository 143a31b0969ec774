/** What the probes page knows of each probe when an admin looks at it (app/probes/page.tsx). */
export type ProbeKind = 'probe' | 'target';

/** Each probe's id (what the admin API takes) and kind, by its name (names are unique). */
export type AdminProbes = ReadonlyMap<string, { id: number; kind: ProbeKind }>;

/** As the server page hands it to the client (a Map does not cross that boundary). */
export type AdminProbeList = { id: number; name: string; kind: ProbeKind }[];

/** A token just issued (added or rotated), shown once. */
export interface IssuedToken {
  name: string;
  kind: ProbeKind;
  token: string;
  reason: 'added' | 'rotated';
}
