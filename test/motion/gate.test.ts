/**
 * Motion gating policy (daemon/src/motion/gate.ts) over the real kernels: a
 * still scene is skipped but re-checked every recheckSeconds, the clip's cat
 * is motion, a small change far from the camera is motion while sensor-like
 * noise is not, slow creep adds up against the last detected frame, and the
 * recheck bound is enforced against awayAfterSeconds in the config.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { loadConfig } from '../../daemon/src/config/load.js';
import { ConfigError } from '../../daemon/src/errors.js';
import { createKernels } from '../../daemon/src/kernels/kernels.js';
import { loadNativeAddon } from '../../daemon/src/native/addon.js';
import { cellSizes, decide, MotionGate, movingCells } from '../../daemon/src/motion/gate.js';
import { motionSection, type MotionConfig } from '../../daemon/src/motion/config.js';
import type { RgbImage } from '../../daemon/src/vision/image.js';
import { requireFixtures } from '../helpers/paths.js';
import { clipFrames } from '../native/frames.js';

requireFixtures();
const defaults: MotionConfig = motionSection.parse({});
const kernelSets = [
  ['native', createKernels(loadNativeAddon())],
  ['typescript', createKernels(null)],
] as const;
let clip: RgbImage[] = [];

test.before(async () => {
  clip = (await clipFrames('RGB', 12)).map(({ width, height, data }) => ({ width, height, data }));
});

const FPS = 15;
const at = (i: number): number => 1000 + (i * 1000) / FPS;

test('cell sizes follow the kernels rule and cover the image', () => {
  const s = cellSizes(10, 7, 3, 2);
  // Columns 0-3 | 4-6 | 7-9, rows 0-3 | 4-6.
  assert.equal([...s], [16, 12, 12, 12, 9, 9]);
  assert.is(
    s.reduce((a, b) => a + b, 0),
    70,
  );
  assert.is(movingCells([3, 0, 6, 8], [100, 100, 100, 100], 0.06), 2);
  assert.equal(decide(1, 0, 5000), { detect: true, reason: 'motion', movingCells: 1 });
  assert.equal(decide(0, 5000, 5000), { detect: true, reason: 'recheck', movingCells: 0 });
  assert.equal(decide(0, 4999, 5000), { detect: false, reason: 'still', movingCells: 0 });
});

test('a still scene at 15 fps: the first frame and one frame per recheck period are detected, the rest gated', async () => {
  for (const [name, k] of kernelSets) {
    const gate = new MotionGate(defaults, k);
    const reasons: string[] = [];
    for (let i = 0; i < 12 * FPS; i++) {
      const d = await gate.check(clip[0]!, at(i));
      if (d.detect) reasons.push(`${i}:${d.reason}`);
    }
    assert.equal(reasons, ['0:first', '75:recheck', '150:recheck'], name);
    assert.equal(gate.counters, { frames: 180, gated: 177 }, name);
  }
});

test('while a track is undecided a still scene is re-detected every undecidedRecheckSeconds (0.5 s), else every recheck', async () => {
  for (const [name, k] of kernelSets) {
    const gate = new MotionGate(defaults, k);
    const reasons: string[] = [];
    // Undecided for the first 2 s (a new cat sat down), then decided.
    for (let i = 0; i < 8 * FPS; i++) {
      const d = await gate.check(clip[0]!, at(i), i < 2 * FPS);
      if (d.detect) reasons.push(`${i}:${d.reason}`);
    }
    const half = Math.ceil(0.5 * FPS);
    assert.equal(
      reasons,
      ['0:first', `${half}:undecided`, `${2 * half}:undecided`, `${3 * half}:undecided`, `${3 * half + 75}:recheck`],
      name,
    );
  }
  assert.equal(decide(0, 600, 5000, 500), { detect: true, reason: 'undecided', movingCells: 0 });
  assert.equal(decide(0, 400, 5000, 500), { detect: false, reason: 'still', movingCells: 0 });
  assert.equal(decide(0, 5000, 5000, 500).reason, 'recheck');
});

test('the clip (a walking cat) is motion on every frame', async () => {
  for (const [name, k] of kernelSets) {
    const gate = new MotionGate(defaults, k);
    const d = [];
    for (let i = 0; i < clip.length; i++) d.push(await gate.check(clip[i]!, at(i)));
    assert.is(d[0]!.reason, 'first');
    for (const x of d.slice(1)) assert.ok(x.detect && x.reason === 'motion' && x.movingCells > 0, `${name}: ${JSON.stringify(x)}`);
  }
});

/** The first clip frame with a square of side `side` at (x, y) painted `level` grey, plus optional noise. */
function painted(x: number, y: number, side: number, level: number, noise = 0, seed = 1): RgbImage {
  const base = clip[0]!;
  const data = base.data.slice();
  let s = seed;
  if (noise > 0) {
    for (let i = 0; i < data.length; i++) {
      s = (s * 1103515245 + 12345) & 0x7fffffff;
      data[i] = Math.max(0, Math.min(255, data[i]! + ((s >> 8) % (2 * noise + 1)) - noise));
    }
  }
  for (let yy = y; yy < y + side; yy++)
    for (let xx = x; xx < x + side; xx++) data.fill(level, 3 * (yy * base.width + xx), 3 * (yy * base.width + xx) + 3);
  return { ...base, data };
}

test('a small animal far away (16x16 px of 640x338) is motion; noise of +-6 levels on every pixel is not', async () => {
  const [, k] = kernelSets[0];
  const gate = new MotionGate(defaults, k);
  await gate.check(clip[0]!, at(0));
  assert.is((await gate.check(painted(0, 0, 0, 0, 6, 7), at(1))).reason, 'still', 'noise alone');
  assert.is((await gate.check(painted(0, 0, 0, 0, 6, 9), at(2))).reason, 'still', 'other noise');
  const d = await gate.check(painted(300, 150, 16, 255, 6, 11), at(3));
  assert.is(d.reason, 'motion');
  assert.ok(d.movingCells >= 1 && d.movingCells <= 4, `${d.movingCells} cells`);
});

test('slow change is compared with the last detected frame, so it adds up to motion', async () => {
  const [, k] = kernelSets[0];
  const gate = new MotionGate({ ...defaults, recheckSeconds: 1000 }, k);
  const reasons: string[] = [];
  // A 40 px patch brightening by 2 levels a frame: frame to frame always below the 12-level threshold.
  for (let i = 0; i < 16; i++) reasons.push((await gate.check(painted(100, 100, 40, 100 + 2 * i), at(i))).reason);
  assert.equal(reasons.map((r, i) => (r === 'still' ? '' : `${i}:${r}`)).filter(Boolean), ['0:first', '7:motion', '14:motion']);
});

test('reset() and a new frame size detect the next frame; disabled detects every frame and gates none', async () => {
  const [, k] = kernelSets[0];
  const gate = new MotionGate(defaults, k);
  await gate.check(clip[0]!, at(0));
  assert.is((await gate.check(clip[0]!, at(1))).reason, 'still');
  gate.reset();
  assert.is((await gate.check(clip[0]!, at(2))).reason, 'first');
  const small: RgbImage = { width: 320, height: 168, data: new Uint8Array(320 * 168 * 3) };
  assert.is((await gate.check(small, at(3))).reason, 'first');
  assert.is((await gate.check(small, at(4))).reason, 'still');
  const off = new MotionGate({ ...defaults, enabled: false }, k);
  for (let i = 0; i < 5; i++) assert.is((await off.check(clip[0]!, at(i))).reason, 'disabled');
  assert.equal(off.counters, { frames: 5, gated: 0 });
});

test('config: thresholds have defaults and are validated with the config', () => {
  const c = loadConfig();
  assert.equal(c.motion, defaults);
  assert.ok(c.motion.recheckSeconds < c.tracking.awayAfterSeconds);
  let problems: readonly string[] = [];
  try {
    loadConfig({ overrides: { 'motion.pixelThreshold': 300, 'motion.cellFraction': 0 } });
  } catch (err) {
    assert.instance(err, ConfigError);
    problems = (err as ConfigError).problems;
  }
  assert.ok(
    problems.some((p) => /^motion\.pixelThreshold: /.test(p)) && problems.some((p) => /^motion\.cellFraction: /.test(p)),
    problems.join('\n'),
  );
  assert.is(loadConfig({ overrides: { 'motion.enabled': false } }).motion.enabled, false);
});

test.run();
