-- The stored packs' jsonb paths into the dictionary (ending_pack_paths) and path_list
-- (16 bytes a path: id int4, longest age float8 with NaN for none, cell count int4), in
-- SQL: the session rows they were sealed from may be past raw retention.
INSERT INTO "ending_pack_paths" ("target_name", "proxy_name", "profile", "profile_kind", "gap_ms")
SELECT DISTINCT e->>0, e->>1, e->>2, (e->>3)::"profile_kind", (e->>4)::float8
FROM "ending_packs", jsonb_array_elements("paths") AS e
ON CONFLICT DO NOTHING;
--> statement-breakpoint
UPDATE "ending_packs" AS ep SET "path_list" = (
  SELECT coalesce(string_agg(int4send(d."id") || float8send(coalesce((x.e->>5)::float8, 'NaN'::float8)) || int4send((x.e->>6)::int4), ''::bytea ORDER BY x.ord), ''::bytea)
  FROM jsonb_array_elements(ep."paths") WITH ORDINALITY AS x(e, ord)
  JOIN "ending_pack_paths" AS d
    ON d."target_name" = x.e->>0 AND d."proxy_name" = x.e->>1 AND d."profile" = x.e->>2
   AND d."profile_kind" IS NOT DISTINCT FROM (x.e->>3)::"profile_kind"
   AND d."gap_ms" IS NOT DISTINCT FROM (x.e->>4)::float8
);
