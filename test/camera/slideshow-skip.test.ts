/** A slideshow skips an unreadable image without turning a clean end into an error. */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import sharp from 'sharp';
import { createFrameSource } from '../../daemon/src/camera/index.js';
import { log, opts, rejection, within } from './helpers.js';

const grey = () =>
  sharp({ create: { width: 64, height: 48, channels: 3, background: { r: 90, g: 90, b: 90 } } })
    .jpeg()
    .toBuffer();

test('skipped images are counted in stats and reported as non-fatal; the source still ends cleanly (lastError null)', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'gloves-skip-'));
  writeFileSync(join(dir, '01.jpg'), await grey());
  writeFileSync(join(dir, '02.jpg'), 'not an image');
  writeFileSync(join(dir, '03.jpg'), await grey());
  writeFileSync(join(dir, '04.jpg'), Buffer.from([0xff, 0xd8, 0xff])); // truncated JPEG
  const src = createFrameSource(opts(`file://${dir}`), { log });
  const errors: { code: string; fatal: boolean }[] = [];
  src.on('error', ({ error, fatal }) => errors.push({ code: error.code, fatal }));
  await within(10_000, src.start(), 'start');
  let frames = 0;
  while (await within(10_000, src.next(), 'next')) frames++;
  assert.is(frames, 2);
  assert.is(src.stats().skipped, 2);
  assert.is(src.stats().state, 'ended');
  assert.is(src.lastError, null, 'a skip is not the error that ended the source');
  assert.equal(
    errors.map((e) => e.fatal),
    [false, false],
  );
  await src.stop();
});

test('a directory with no decodable image at all still fails to start, naming the cause', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'gloves-skip-'));
  writeFileSync(join(dir, '01.jpg'), 'not an image');
  const src = createFrameSource(opts(`file://${dir}`), { log });
  const err = await rejection(src.start());
  assert.is(err.code, 'SOURCE_FAILED');
  assert.ok(src.lastError, 'that failure did end the source');
  await src.stop();
});

test.run();
