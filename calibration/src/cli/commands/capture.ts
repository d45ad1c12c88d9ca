import type { Command } from '../../../../daemon/src/cli/index.js';
import { parseCommandArgs, parsePositiveInt, requireString } from '../../../../daemon/src/cli/index.js';
import { UsageError } from '../../../../daemon/src/errors.js';
import { captureFrames } from '../../capture.js';

export const captureCommand: Command = {
  name: 'capture',
  summary: 'save JPEG frames from a camera source (the daemon camera code)',
  usage: `gloves-trainer capture --camera URI --out DIR [--frames N] [--every SECONDS]
  Saves N frames (default 100) as DIR/frame-NNNNN.jpg, one every SECONDS (default 1).`,
  async run(ctx) {
    const { values } = parseCommandArgs('capture', ctx.argv, {
      camera: { type: 'string' },
      out: { type: 'string' },
      frames: { type: 'string' },
      every: { type: 'string' },
      help: { type: 'boolean', short: 'h' },
    });
    if (values.help) {
      ctx.stdout(this.usage);
      return 0;
    }
    const every = values.every === undefined ? 1 : Number(values.every);
    if (!Number.isFinite(every) || every < 0) throw new UsageError('capture: --every must be a non-negative number of seconds');
    const res = await captureFrames({
      uri: requireString('capture', values.camera, '--camera'),
      outDir: requireString('capture', values.out, '--out'),
      frames: parsePositiveInt('capture', values.frames, '--frames', 100),
      everySeconds: every,
      log: ctx.log,
      progress: (l) => ctx.stderr(l),
    });
    ctx.stdout(`captured ${res.length} frames into ${requireString('capture', values.out, '--out')}`);
    return 0;
  },
};
