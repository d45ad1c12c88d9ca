/**
 * `capture`: frames from any camera URI the daemon understands (its own
 * createFrameSource), saved as JPEG every `everySeconds` of arrival time.
 * The source plays like a camera (files at their own rate), so spacing
 * in seconds means the same for a file as for a live camera.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { createFrameSource, drainCameraPipelines } from '../../daemon/src/camera/index.js';
import { cameraSection } from '../../daemon/src/camera/config.js';
import { encodeJpeg } from '../../daemon/src/vision/decode.js';
import type { Logger } from '../../daemon/src/log/logger.js';
import { TrainerError } from './errors.js';

export interface CaptureOptions {
  uri: string;
  outDir: string;
  frames: number;
  everySeconds: number;
  width?: number;
  height?: number;
  log: Logger;
  progress?: (line: string) => void;
}

export async function captureFrames(o: CaptureOptions): Promise<string[]> {
  const cfg = cameraSection.parse({ uri: o.uri, ...(o.width ? { width: o.width } : {}), ...(o.height ? { height: o.height } : {}) });
  const src = createFrameSource({ ...cfg, realtime: true }, { log: o.log.child('camera') });
  const saved: string[] = [];
  mkdirSync(o.outDir, { recursive: true });
  try {
    await src.start();
    let last = -Infinity;
    for (let f = await src.next(); f && saved.length < o.frames; f = await src.next()) {
      if (f.timestampMs - last < o.everySeconds * 1000) continue;
      last = f.timestampMs;
      const file = join(o.outDir, `frame-${String(saved.length).padStart(5, '0')}.jpg`);
      writeFileSync(file, await encodeJpeg(f.image, 92));
      saved.push(file);
      o.progress?.(`saved ${saved.length}/${o.frames}: ${file}`);
    }
  } finally {
    await src.stop();
    drainCameraPipelines();
  }
  if (saved.length === 0) throw new TrainerError('CAPTURE_FAILED', `camera ${o.uri} gave no frames`, { uri: o.uri });
  return saved;
}
