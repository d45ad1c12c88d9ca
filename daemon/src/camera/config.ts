import { z } from 'zod';
import { parseSourceUri } from './uri.js';

/** Camera source settings, owned here beside the camera (config/schema.ts composes the sections); passed to createFrameSource as is. */
export const cameraSection = z
  .strictObject({
    uri: z
      .string()
      .default('test://smpte')
      .superRefine((uri, ctx) => {
        try {
          parseSourceUri(uri);
        } catch (err) {
          ctx.addIssue({ code: 'custom', message: (err as Error).message });
        }
      })
      .describe(
        'Source URI: file://PATH (video, or a directory of images as a slideshow), rtsp://..., v4l2:///dev/videoN, csi://N (Jetson) or test://PATTERN',
      ),
    name: z.string().min(1).default('camera').describe('Camera name used in events and Home Assistant'),
    width: z.number().int().min(16).max(7680).default(640).describe('Output frame width in pixels (RGB; the picture is stretched to it)'),
    height: z.number().int().min(16).max(4320).default(360).describe('Output frame height in pixels (RGB)'),
    fps: z.number().positive().max(240).default(10).describe('Frame rate of test patterns, and the cap for live cameras'),
    loop: z.boolean().default(false).describe('Restart file sources at end of stream'),
    slideshowFps: z.number().positive().max(60).default(1).describe('Images per second for a directory slideshow'),
    startTimeoutMs: z.number().int().positive().default(10000).describe('Give up when the first frame has not arrived within this time'),
    stallTimeoutMs: z
      .number()
      .int()
      .positive()
      .default(10000)
      .describe('Live sources: no frame for this long counts as a failure and reconnects'),
    reconnect: z
      .strictObject({
        initialMs: z.number().int().positive().default(500).describe('First reconnect delay for live sources'),
        maxMs: z.number().int().positive().default(30000).describe('Cap of the exponential reconnect backoff'),
      })
      .prefault({}),
  })
  .prefault({});
