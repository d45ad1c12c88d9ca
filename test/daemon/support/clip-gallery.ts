/** Enrols the cat of the shared clip from three of its frames (pet id `chair_cat`), so that a daemon watching the clip names it. */
import { join } from 'node:path';
import sharp from 'sharp';
import { createFrameSource } from '../../../daemon/src/camera/index.js';
import { loadConfig } from '../../../daemon/src/config/load.js';
import { silentLogger } from '../../../daemon/src/log/logger.js';
import { catClip } from '../../helpers/paths.js';
import { cli } from './daemon.js';

export async function enrolClipCat(gallery: string, dir: string, name = 'Chair cat', size = { width: 640, height: 360 }): Promise<void> {
  const W = size.width;
  const H = size.height;
  const grab = createFrameSource(
    { ...loadConfig().camera, uri: `file://${catClip}`, width: W, height: H, realtime: false },
    { log: silentLogger() },
  );
  await grab.start();
  const shots: string[] = [];
  for (let f = await grab.next(); f && shots.length < 3; f = await grab.next()) {
    if (f.index < 60 || f.index % 60 !== 0) continue;
    const p = join(dir, `enrol_${f.index}.jpg`);
    await sharp(Buffer.from(f.image.data), { raw: { width: W, height: H, channels: 3 } })
      .jpeg()
      .toFile(p);
    shots.push(p);
  }
  await grab.stop();
  const r = cli(['enroll', '--gallery', gallery, '--name', name, ...shots]);
  // A frame where the detector also sees a second animal is rejected; the others are kept.
  if (!/now has [1-9]\d* photo/.test(r.stdout)) throw new Error(`enrolling the clip's cat failed:\n${r.stdout}${r.stderr}`);
}
