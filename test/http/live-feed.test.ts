/** The live feed behind GET /v1/frame.jpg and /v1/sightings: one latest frame per camera, each sighting cropped from its own camera. */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import sharp from 'sharp';
import { LiveFeed } from '../../daemon/src/runtime/live.js';
import { silentLogger } from '../../daemon/src/log/logger.js';
import type { PetEvent } from '../../daemon/src/events/types.js';
import type { RgbImage } from '../../daemon/src/vision/image.js';

const solid = (width: number, height: number, rgb: [number, number, number]): RgbImage => {
  const data = new Uint8Array(width * height * 3);
  for (let i = 0; i < data.length; i += 3) data.set(rgb, i);
  return { width, height, data };
};
const event = (id: string, camera: string): PetEvent => ({
  id,
  type: 'seen',
  pet: 'Mia',
  pet_id: 'mia',
  camera,
  ts: '2026-01-01T00:00:00Z',
  confidence: 0.9,
  box: [10, 10, 50, 50],
  track: 1,
});
const meanColour = async (jpeg: Buffer): Promise<number[]> => (await sharp(jpeg).stats()).channels.map((c) => Math.round(c.mean));
const until = async (cond: () => boolean): Promise<void> => {
  for (let i = 0; i < 100 && !cond(); i++) await new Promise((r) => setTimeout(r, 10));
};

test('each camera keeps its own latest frame; the default is the first configured camera, not the first to deliver', async () => {
  const live = new LiveFeed(silentLogger(), ['porch', 'garden']);
  assert.is(await live.frameJpeg(), null);
  live.frame('garden', solid(64, 48, [0, 0, 255]), []);
  assert.is(await live.frameJpeg(), null, 'the porch has not delivered yet');
  live.frame('porch', solid(80, 60, [255, 0, 0]), []);
  const porch = await sharp((await live.frameJpeg())!).metadata();
  const garden = await sharp((await live.frameJpeg('garden'))!).metadata();
  assert.equal([porch.width, garden.width], [80, 64]);
  assert.equal(live.cameras(), ['porch', 'garden']);
});

test("a sighting is cropped from its own camera's next frame, not from whichever camera comes next", async () => {
  const live = new LiveFeed(silentLogger(), ['porch', 'garden']);
  live.publish(event('e1', 'garden'));
  live.frame('porch', solid(80, 60, [255, 0, 0]), []);
  await new Promise((r) => setTimeout(r, 50));
  assert.is(live.sightingJpeg('e1'), undefined, "the porch's frame must not be used for the garden's sighting");
  live.frame('garden', solid(80, 60, [0, 0, 255]), []);
  await until(() => live.sightingJpeg('e1') !== undefined);
  const [r, , b] = await meanColour(live.sightingJpeg('e1')!);
  assert.ok(b! > 200 && r! < 50, `crop colour ${r},${b}`);
  assert.is(live.sightings(10)[0]!.snapshot, '/v1/sightings/e1.jpg');
});

test.run();
