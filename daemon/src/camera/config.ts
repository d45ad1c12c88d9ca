import { z } from 'zod';
import { parseSourceUri } from './uri.js';

/**
 * Camera settings, owned here beside the camera (config/schema.ts composes the sections). A device
 * watches one camera (`camera:`) or several (`cameras:`, a list of the same options plus `id` and
 * `name`); cameraList() turns either into the one list the daemon runs. Each entry is passed to
 * createFrameSource as is.
 */
const sourceOptions = {
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
};

/** Camera ids name MQTT topics and Home Assistant ids: the characters those allow. */
const CAMERA_ID = /^[A-Za-z0-9][A-Za-z0-9_-]{0,63}$/;

/** The single-camera section (`camera:`): one camera whose id is derived from its name (cameraId). */
export const cameraSection = z
  .strictObject({
    ...sourceOptions,
    name: z.string().min(1).default('camera').describe('Camera name used in events and Home Assistant'),
  })
  .prefault({});

export const cameraEntry = z.strictObject({
  id: z
    .string()
    .regex(CAMERA_ID, 'a slug: letters, digits, _ and -, at most 64, starting with a letter or digit')
    .describe('Camera id: in events, pet states and the topics <base>/<device>/cameras/<id>/...'),
  name: z.string().min(1).optional().describe('Display name (default: the id)'),
  ...sourceOptions,
});

/** Several cameras on one device (`cameras:`); when empty, the `camera:` section is the one camera. */
export const camerasSection = z
  .array(cameraEntry)
  .default([])
  .check(
    // `when`: duplicates are reported beside the entries' own problems, all at once.
    z.superRefine(
      (list, ctx) => {
        const first = new Map<string, number>();
        list.forEach((c, i) => {
          if (typeof c?.id !== 'string') return;
          const j = first.get(c.id);
          if (j === undefined) first.set(c.id, i);
          else ctx.addIssue({ code: 'custom', path: [i, 'id'], message: `duplicate camera id "${c.id}" (also cameras.${j}.id)` });
        });
      },
      { when: () => true },
    ),
  )
  .describe('Several cameras: a list of {id, name, uri, width, height, fps, ...}; replaces the camera section');

export type CameraSection = z.output<typeof cameraSection>;
export type CameraEntryInput = z.input<typeof cameraEntry>;
/** One camera the daemon runs: its id, display name and source options. */
export type CameraConfig = Omit<z.output<typeof cameraEntry>, 'name'> & { name: string };

/** The id of the single `camera:` section: its name where that is a valid id (`camera` by default: the topics so far), else a slug. */
export function cameraId(name: string): string {
  if (CAMERA_ID.test(name)) return name;
  const slug = name
    .replace(/[^A-Za-z0-9_-]+/g, '_')
    .replace(/^[_-]+/, '')
    .slice(0, 64);
  return slug === '' ? 'camera' : slug;
}

/** Pure: the cameras to run, from `cameras:` when it lists any, else the one `camera:` section. */
export function cameraList(single: CameraSection, list: readonly z.output<typeof cameraEntry>[]): CameraConfig[] {
  if (list.length > 0) return list.map((c) => ({ ...c, name: c.name ?? c.id }));
  return [{ ...single, id: cameraId(single.name) }];
}

/**
 * Pure: problems of a config that sets both sections (the `camera:` values would be ignored), as
 * [path, message] under `camera`, one per key that differs from the defaults (a `--camera URI` flag
 * or GLOVES_CAMERA__URI is blamed on its origin).
 */
export function sectionConflicts(single: CameraSection, list: readonly unknown[]): [string[], string][] {
  // Also runs on a config with other problems: either section may be malformed here.
  if (!Array.isArray(list) || list.length === 0 || typeof single !== 'object' || single === null) return [];
  const defaults = cameraSection.parse({}) as Record<string, unknown>;
  return Object.entries(single)
    .filter(([k, v]) => JSON.stringify(v) !== JSON.stringify(defaults[k]))
    .map(([k]) => [[k], 'not used when cameras lists cameras: set it in each cameras entry instead']);
}
