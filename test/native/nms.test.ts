/**
 * Native NMS against the TypeScript reference daemon/src/kernels/nms.ts:
 * exact index lists on hand-made edge cases (ties, threshold equality, zero
 * unions, classes) and on real YOLOX candidates from the clip.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { join } from 'node:path';
import { loadNativeAddon } from '../../daemon/src/native/addon.js';
import { createKernels } from '../../daemon/src/kernels/kernels.js';
import { createMockAddon } from '../../daemon/src/native-mock/mock-addon.js';
import { createOnnxRuntimeBackend } from '../../daemon/src/inference/onnxruntime.js';
import { readManifest } from '../../daemon/src/models/manifest.js';
import { nms as reference, type NmsBox } from '../../daemon/src/kernels/nms.js';
import { decodeYolox } from '../../daemon/src/recognition/detection/yolox.js';
import { preprocess } from '../../daemon/src/vision/preprocess.js';
import { toRgb } from '../../daemon/src/vision/convert.js';
import { manifestsDir, modelsDir, requireFixtures } from '../helpers/paths.js';
import { clipFrames } from './frames.js';

requireFixtures();
const addon = loadNativeAddon();
if (!addon) throw new Error('native addon not built');
const impls = [
  ['native', createKernels(addon)],
  ['mock', createKernels(createMockAddon())],
  ['typescript', createKernels(null)],
] as const;

const edge: { name: string; boxes: NmsBox[]; scores: number[]; classes: number[]; iou: number; want: number[] }[] = [
  { name: 'empty', boxes: [], scores: [], classes: [], iou: 0.5, want: [] },
  {
    name: 'score ties keep lower index first',
    boxes: [
      [0, 0, 10, 10],
      [0, 0, 10, 10],
      [20, 20, 30, 30],
    ],
    scores: [0.5, 0.5, 0.5],
    classes: [0, 0, 0],
    iou: 0.5,
    want: [0, 2],
  },
  {
    name: 'IoU equal to threshold is kept',
    boxes: [
      [0, 0, 10, 10],
      [0, 0, 10, 5],
    ],
    scores: [0.9, 0.8],
    classes: [0, 0],
    iou: 0.5,
    want: [0, 1],
  },
  {
    name: 'IoU just above threshold is suppressed',
    boxes: [
      [0, 0, 10, 10],
      [0, 0, 10, 5.01],
    ],
    scores: [0.9, 0.8],
    classes: [0, 0],
    iou: 0.5,
    want: [0],
  },
  {
    name: 'other class never suppresses',
    boxes: [
      [0, 0, 10, 10],
      [0, 0, 10, 10],
    ],
    scores: [0.9, 0.8],
    classes: [0, 1],
    iou: 0.1,
    want: [0, 1],
  },
  {
    name: 'zero-area boxes (zero union) are kept',
    boxes: [
      [5, 5, 5, 5],
      [5, 5, 5, 5],
    ],
    scores: [0.3, 0.9],
    classes: [2, 2],
    iou: 0,
    want: [1, 0],
  },
  {
    name: 'threshold 0: any overlap suppresses, touching does not',
    boxes: [
      [0, 0, 10, 10],
      [9, 9, 20, 20],
      [10, 0, 20, 10],
    ],
    scores: [0.9, 0.8, 0.7],
    classes: [0, 0, 0],
    iou: 0,
    want: [0, 2],
  },
  {
    name: 'keep order is by score',
    boxes: [
      [0, 0, 1, 1],
      [5, 5, 6, 6],
      [9, 9, 10, 10],
    ],
    scores: [0.1, 0.9, 0.5],
    classes: [0, 0, 0],
    iou: 0.5,
    want: [1, 2, 0],
  },
  {
    name: 'suppressed box does not suppress',
    boxes: [
      [0, 0, 10, 10],
      [5, 0, 15, 10],
      [10, 0, 20, 10],
    ],
    scores: [0.9, 0.8, 0.7],
    classes: [0, 0, 0],
    iou: 0.3,
    want: [0, 2],
  },
];

for (const [name, k] of impls) {
  test(`${name}: hand-made edge cases match the contract and the reference`, async () => {
    for (const c of edge) {
      assert.equal(reference(c.boxes, c.scores, c.classes, c.iou), c.want, `reference ${c.name}`);
      assert.equal(await k.nms(c.boxes, c.scores, c.classes, c.iou), c.want, `${name} ${c.name}`);
    }
  });
}

test('native, mock and reference agree on random boxes, sync and async sizes', async () => {
  let seed = 7;
  const rnd = (): number => (seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31;
  for (const n of [1, 17, 300, 2500]) {
    const boxes: NmsBox[] = [];
    const scores: number[] = [];
    const classes: number[] = [];
    for (let i = 0; i < n; i++) {
      const x = rnd() * 400,
        y = rnd() * 400;
      boxes.push([x, y, x + 5 + rnd() * 80, y + 5 + rnd() * 80]);
      scores.push(Math.round(rnd() * 20) / 20);
      classes.push(Math.floor(rnd() * 3));
    }
    for (const iou of [0, 0.3, 0.45, 0.7]) {
      const want = reference(boxes, scores, classes, iou);
      for (const [name, k] of impls) assert.equal(await k.nms(boxes, scores, classes, iou), want, `${name} n=${n} iou=${iou}`);
    }
  }
});

test('native matches the reference on real YOLOX candidates from the clip', async () => {
  const m = readManifest(join(manifestsDir, 'yolox_nano_416_coco.json'));
  const session = await createOnnxRuntimeBackend({ threads: 1 }).load(m, join(modelsDir, m.file));
  try {
    let total = 0;
    for (const frame of await clipFrames('RGB', 3)) {
      const { tensor } = preprocess(toRgb(frame), m.preprocess, 416, 416);
      const out = (await session.run({ images: { dims: [1, 3, 416, 416], data: tensor } })).output!;
      const cands = decodeYolox(out.data, out.dims, {
        inputWidth: 416,
        inputHeight: 416,
        strides: [8, 16, 32],
        classIds: [15, 16, 56, 57],
        minScore: 0.01,
      });
      total += cands.length;
      const args = [cands.map((c) => c.box), cands.map((c) => c.score), cands.map((c) => c.classId)] as const;
      const want = reference(...args, 0.45);
      assert.equal(await createKernels(addon).nms(...args, 0.45), want);
    }
    assert.ok(total > 10, `expected candidates, got ${total}`);
  } finally {
    await session.dispose();
  }
});

test.run();
