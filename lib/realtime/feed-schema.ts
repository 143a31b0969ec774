/**
 * zod schemas for what travels to browsers: feed items and live pushes. The browser parses
 * every socket payload and every JSON answer with these before trusting it.
 */
import { z } from 'zod';
import { ingestEventTypes } from '../contracts/ingest';
import type { FeedItem, LivePush, LiveWatermark } from './feed';
import type { Same } from './same-shape';

const eventType = z.enum(ingestEventTypes);

export const feedItemSchema = z.object({
  id: z.string(),
  type: eventType,
  probe: z.string(),
  at: z.string(),
  sessionId: z.string().optional(),
  target: z.string().optional(),
  proxy: z.string().optional(),
  profile: z.string().optional(),
  durationMs: z.number().optional(),
  endKind: z.string().optional(),
  closeCode: z.number().optional(),
  httpStatus: z.number().optional(),
  outcome: z.string().optional(),
  errorCode: z.string().optional(),
  samples: z.number().optional(),
});

/** `<origin>:<sequence>` (lib/realtime/feed.ts); also the `w` parameter of live refetches. */
export const watermarkSchema = z.string().regex(/^[0-9a-f]{12}:[0-9]{1,15}$/, 'expected a watermark such as 3f9a0c1b2d4e:17');

export const livePushSchema = z.object({
  items: z.array(feedItemSchema),
  counts: z.partialRecord(eventType, z.number()),
  dropped: z.number(),
  watermark: watermarkSchema,
});

export const liveWatermarkSchema = z.object({ watermark: watermarkSchema.nullable() });

// Keep the schemas and the server-side interfaces from drifting apart.
const _feedItem: Same<z.infer<typeof feedItemSchema>, FeedItem> = true;
const _livePush: Same<z.infer<typeof livePushSchema>, LivePush> = true;
const _liveWatermark: Same<z.infer<typeof liveWatermarkSchema>, LiveWatermark> = true;
void _feedItem;
void _livePush;
void _liveWatermark;
