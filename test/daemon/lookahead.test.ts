/**
 * The camera loop's one-frame lookahead (runtime/camera-pipeline.ts): frame
 * N+1 is taken and its stage one (gate + detection) started while frame N's
 * stage two runs, yet stage two and the sink see every frame once, in the
 * order taken, one at a time; a frame whose detection failed is reported as
 * that frame's failure, in its turn. Without lookahead, nothing overlaps.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import type { Frame, FrameSource } from '../../daemon/src/camera/index.js';
import { loadConfig } from '../../daemon/src/config/load.js';
import type { MotionGate } from '../../daemon/src/motion/gate.js';
import { CameraHealth } from '../../daemon/src/runtime/camera-health.js';
import { CameraPipeline, type FrameSink } from '../../daemon/src/runtime/camera-pipeline.js';
import type { Detected, FrameProcessor, FrameResult } from '../../daemon/src/runtime/frame-processor.js';
import type { Tracker } from '../../daemon/src/tracking/tracker.js';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const N = 12;

/** Frames 0..N-1 as fast as they are taken, then the end. */
function source(): FrameSource {
  let i = 0;
  const s = {
    lastError: null,
    next: async () =>
      i < N ? ({ image: { width: 2, height: 2, data: new Uint8Array(12) }, index: i++, timestampMs: i * 40 } as Frame) : null,
    stats: () => ({ state: 'running' }),
  };
  return s as unknown as FrameSource;
}

/** A processor that logs when each stage starts and ends; detection of `failAt` rejects. */
function processor(log: string[], failAt = -1): FrameProcessor {
  let finishing = 0;
  const p = {
    async detect(_img: unknown, t: number): Promise<Detected> {
      const i = t / 40 - 1;
      log.push(`detect ${i}`);
      await sleep(3 + (i % 3) * 4);
      log.push(`detected ${i}`);
      if (i === failAt) throw new Error(`detector failed on ${i}`);
      return { gated: false, gateMs: 0, detectMs: 1, detections: [], models: null as never };
    },
    async finish(_img: unknown, t: number): Promise<FrameResult> {
      const i = t / 40 - 1;
      finishing++;
      assert.is(finishing, 1, 'stage two runs one frame at a time');
      log.push(`finish ${i}`);
      await sleep(10);
      log.push(`finished ${i}`);
      finishing--;
      return {
        gated: false,
        detections: 0,
        embedded: 0,
        tracks: [],
        sightings: [],
        unknowns: [],
        unnamed: new Map(),
        undecided: [],
        timing: {} as never,
      };
    },
  };
  return p as unknown as FrameProcessor;
}

async function run(lookahead: boolean, failAt = -1) {
  const log: string[] = [];
  const sunk: number[] = [];
  const failed: [number, string][] = [];
  const config = { ...loadConfig().camera, id: 'c', name: 'c' } as never;
  const p = new CameraPipeline({
    config,
    source: source(),
    health: new CameraHealth(new Date().toISOString()),
    gate: null as unknown as MotionGate,
    tracker: null as unknown as Tracker,
    processor: processor(log, failAt),
    lookahead,
  });
  const sink: FrameSink = {
    frame: (_c, f) => sunk.push(f.index),
    failed: (_c, f, err) => failed.push([f.index, err.message]),
    afterFrame: () => undefined,
  };
  const end = await p.run(sink);
  return { end, log, sunk, failed };
}

test('lookahead: the next frame is detected while this one finishes; finishing keeps frame order', async () => {
  const { end, log, sunk } = await run(true);
  assert.equal(end, { kind: 'ended' });
  assert.equal(sunk, [...Array(N).keys()], 'every frame, once, in order');
  const at = (e: string) => log.indexOf(e);
  assert.equal(
    log.filter((e) => e.startsWith('finish ')),
    sunk.map((i) => `finish ${i}`),
  );
  // Overlap: frame i+1's detection starts after frame i's detection ended and before frame i's stage two is done.
  for (let i = 0; i < N - 1; i++) {
    assert.ok(at(`detect ${i + 1}`) > at(`detected ${i}`), `detection is one frame at a time (${i})`);
    assert.ok(at(`detect ${i + 1}`) < at(`finished ${i}`), `frame ${i + 1} detected while ${i} finishes:\n${log.join('\n')}`);
  }
});

test('without lookahead, a frame is detected only after the previous one finished', async () => {
  const { end, log, sunk } = await run(false);
  assert.equal(end, { kind: 'ended' });
  assert.equal(sunk, [...Array(N).keys()]);
  for (let i = 0; i < N - 1; i++) assert.ok(log.indexOf(`detect ${i + 1}`) > log.indexOf(`finished ${i}`), log.join('\n'));
});

test('lookahead: a failed detection is its own frame failure, in its turn; the frames around it go on', async () => {
  const { end, sunk, failed } = await run(true, 5);
  assert.equal(end, { kind: 'ended' });
  assert.equal(failed, [[5, 'detector failed on 5']]);
  assert.equal(
    sunk,
    [...Array(N).keys()].filter((i) => i !== 5),
  );
});

test.run();
