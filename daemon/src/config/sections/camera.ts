import { z } from 'zod';

/** Camera source settings. Owned by the camera module (daemon/src/camera). */
export const cameraSection = z
  .strictObject({
    uri: z
      .string()
      .min(1)
      .default('test://smpte')
      .describe('Source URI: file://PATH, rtsp://..., v4l2:///dev/videoN, csi://N or test://PATTERN'),
    name: z.string().min(1).default('camera').describe('Camera name used in events and Home Assistant'),
    width: z.number().int().min(16).max(7680).default(640).describe('Output frame width in pixels (RGB)'),
    height: z.number().int().min(16).max(4320).default(360).describe('Output frame height in pixels (RGB)'),
    fps: z.number().positive().max(240).default(10).describe('Frame rate delivered to the pipeline'),
    loop: z.boolean().default(false).describe('Restart file sources at end of stream'),
    slideshowFps: z.number().positive().max(60).default(1).describe('Images per second for a directory slideshow'),
    reconnect: z
      .strictObject({
        initialMs: z.number().int().positive().default(500).describe('First reconnect delay for live sources'),
        maxMs: z.number().int().positive().default(30000).describe('Cap of the exponential reconnect backoff'),
      })
      .prefault({}),
  })
  .prefault({});
