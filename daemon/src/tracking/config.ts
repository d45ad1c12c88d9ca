/** The `tracking` config section: tracks, voting, presence timing. */
import { z } from 'zod';

export const trackingSection = z
  .strictObject({
    iouMatch: z.number().min(0).max(1).default(0.3).describe('Minimum IoU to continue a track'),
    maxMissedFrames: z.number().int().min(0).default(5).describe('Frames a track may go undetected'),
    appearanceGate: z
      .number()
      .min(0)
      .max(1)
      .default(0.8)
      .describe('Minimum embedding cosine for a detection to continue a track (0: IoU only)'),
    minVotes: z.number().int().min(1).default(3).describe('Frames of evidence before a track is named'),
    minConfidence: z
      .number()
      .min(0)
      .max(1)
      .default(0.5)
      .describe(
        'Unused since track evidence is summed as log-likelihood ratios (tracking/voting.ts); accepted so that existing configs stay valid',
      ),
    awayAfterSeconds: z.number().positive().default(60).describe('Seconds unseen before a pet is away'),
    unknownCooldownSeconds: z
      .number()
      .min(0)
      .default(60)
      .describe('An unknown animal fires unknown_seen again only after this long without any unknown sighting'),
    stateRefreshSeconds: z
      .number()
      .positive()
      .default(10)
      .describe('While a pet stays present, how often its retained state (last_seen) is refreshed'),
    visitors: z
      .strictObject({
        enabled: z.boolean().default(true).describe('Cluster unknown animals into visitors (visitor-N), stored next to the gallery'),
        threshold: z
          .number()
          .min(-1)
          .max(1)
          .default(0.45)
          .describe('Whitened cosine for an unknown track to join a visitor (presence/visitors.ts VISITOR_THRESHOLD: how it was chosen)'),
        maxVisitors: z.number().int().min(1).default(50).describe('Visitors kept; the least recently seen is forgotten first'),
        maxCrops: z.number().int().min(1).default(5).describe('Crops (JPEG + embedding) kept per visitor'),
        backgroundAfter: z
          .number()
          .int()
          .min(1)
          .default(2)
          .describe('A visitor seen on at least this many tracks becomes background for the matcher (a cat known not to be a pet)'),
        backgroundWeight: z
          .number()
          .min(0)
          .max(10)
          .default(1)
          .describe(
            "A pet's score loses this times by how much the animal is closer to a background visitor than to the pet " +
              '(0: visitors are not background; also off with matching.prototypes each or cohort score normalisation)',
          ),
        backgroundGuard: z
          .number()
          .min(0)
          .max(2)
          .default(0.2)
          .describe(
            'A visitor whose score against a pet reaches the naming threshold minus this may be that pet: it is not background against it',
          ),
      })
      .prefault({}),
    embedding: z
      .strictObject({
        uncertainEveryMs: z.number().min(0).default(0).describe('New and uncertain tracks: minimum ms between embeddings (0: every frame)'),
        settledEveryMs: z
          .number()
          .positive()
          .default(2000)
          .describe('Settled tracks: ms between embeddings while the view does not change'),
        settledConfidence: z
          .number()
          .min(0.5)
          .max(1)
          .default(0.99)
          .describe('A named or unknown track at least this confident is settled (embedded rarely, without flip)'),
        viewArea: z.number().gt(1).default(1.3).describe('Box area ratio (either way) since the last embedding that counts as a new view'),
        viewAspect: z.number().gt(1).default(1.25).describe('Box aspect ratio change (either way) that counts as a new view'),
        viewSharper: z.number().gt(1).default(1.3).describe('Crop sharpness ratio (sharper only) that counts as a new view'),
        viewColour: z
          .number()
          .min(0)
          .default(12)
          .describe('Crop mean colour change (levels, any channel) that counts as a new view: another animal in the same box'),
      })
      .prefault({})
      .describe('Which detections are embedded (tracking/embed-schedule.ts says why these defaults)'),
    snapshotIntervalSeconds: z.number().positive().default(2).describe('Minimum time between two snapshot publications of one pet'),
  })
  .prefault({});

export type TrackingConfig = z.output<typeof trackingSection>;
