import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { iou, nms, suppressAcrossClasses } from '../../daemon/src/kernels/nms.js';
import { decodeYolox } from '../../daemon/src/recognition/detection/yolox.js';
import { cropRegion } from '../../daemon/src/recognition/embedding/crop.js';
import { enrolmentIndices } from '../../daemon/src/evaluation/dataset.js';
import { slugifyPetName, uniquePetId, PET_ID_RE } from '../../daemon/src/recognition/gallery/pet-id.js';

test('iou: no +1 areas, zero union gives 0', () => {
  assert.is(iou([0, 0, 10, 10], [5, 0, 15, 10]), 50 / 150);
  assert.is(iou([0, 0, 0, 0], [0, 0, 0, 0]), 0);
  assert.is(iou([0, 0, 10, 10], [20, 20, 30, 30]), 0);
});

test('nms: greedy by score, suppression strictly above threshold, class-aware', () => {
  const boxes = [
    [0, 0, 10, 10],
    [0, 0, 10, 10],
    [5, 0, 15, 10], // IoU 1/3 with box 0
    [0, 0, 10, 10], // other class: kept
  ] as const;
  assert.equal(nms(boxes, [0.9, 0.8, 0.7, 0.6], [0, 0, 0, 1], 0.5), [0, 2, 3]);
  // IoU exactly equal to the threshold is NOT suppressed
  assert.equal(nms(boxes, [0.9, 0.8, 0.7, 0.6], [0, 0, 0, 1], 1 / 3), [0, 2, 3]);
  assert.equal(nms(boxes, [0.9, 0.8, 0.7, 0.6], [0, 0, 0, 1], 0.3), [0, 3]);
});

test('nms: ties broken by lower index; keep order is score order', () => {
  const boxes = [
    [0, 0, 10, 10],
    [100, 100, 110, 110],
    [1, 1, 10, 10],
  ] as const;
  assert.equal(nms(boxes, [0.5, 0.9, 0.5], [0, 0, 0], 0.5), [1, 0]);
  assert.equal(nms([], [], [], 0.5), []);
  assert.throws(() => nms(boxes, [1], [0, 0, 0], 0.5));
});

test('suppressAcrossClasses: one animal with a cat and a dog box keeps the better label; distinct animals stay', () => {
  const boxes = [
    [0, 0, 100, 100], // cat 0.6
    [2, 1, 101, 99], // dog 0.4, the same animal (IoU ~0.95): dropped
    [90, 0, 190, 100], // dog 0.5, touching the cat (IoU ~0.05): kept
    [0, 0, 100, 60], // cat 0.3, IoU 0.6 with box 0: under 0.7, kept
  ] as const;
  const scores = [0.6, 0.4, 0.5, 0.3];
  const classes = [0, 1, 1, 0];
  const kept = nms(boxes, scores, classes, 0.7);
  assert.equal(kept, [0, 2, 1, 3], 'class-aware NMS alone keeps both labels of one animal');
  assert.equal(suppressAcrossClasses(boxes, kept, 0.7), [0, 2, 3]);
  // Strictly above the threshold, like nms().
  assert.equal(suppressAcrossClasses(boxes, [0, 3], 0.6), [0, 3]);
  assert.equal(suppressAcrossClasses(boxes, [0, 3], 0.59), [0]);
  assert.equal(suppressAcrossClasses(boxes, [], 0.5), []);
});

test('yolox decode: grid offsets and strides', () => {
  // 2 strides on a 16x16 input: stride 8 -> 2x2 grid (4 anchors), stride 16 -> 1 anchor.
  const C = 3;
  const rows = 5;
  const out = new Float32Array(rows * (5 + C));
  const set = (a: number, v: number[]) => out.set(v, a * (5 + C));
  set(3, [0.5, 0.5, Math.log(2), Math.log(1), 0.9, 0.1, 0.8, 0.0]); // cell (1,1) of stride 8
  set(4, [0, 0, 0, 0, 0.1, 1, 1, 1]); // below minScore
  const c = decodeYolox(out, [1, rows, 5 + C], { inputWidth: 16, inputHeight: 16, strides: [8, 16], classIds: [1, 2], minScore: 0.3 });
  assert.is(c.length, 1);
  assert.is(c[0]!.classId, 1);
  assert.ok(Math.abs(c[0]!.score - 0.72) < 1e-6);
  // cx = (0.5+1)*8 = 12, cy = 12, w = 16, h = 8
  assert.equal(
    c[0]!.box.map((v) => Math.round(v * 1000) / 1000),
    [4, 8, 20, 16],
  );
  assert.throws(() => decodeYolox(out, [1, 4, 5 + C], { inputWidth: 16, inputHeight: 16, strides: [8, 16], classIds: [1], minScore: 0.3 }));
});

test('crop region: margin, clipping, integer pixels', () => {
  assert.equal(cropRegion([10, 10, 30, 50], 0.1, 100, 100), { x: 8, y: 6, width: 24, height: 48 });
  assert.equal(cropRegion([0, 0, 100, 100], 0.2, 100, 100), { x: 0, y: 0, width: 100, height: 100 });
  assert.equal(cropRegion([99.5, 99.5, 99.6, 99.6], 0, 100, 100), { x: 99, y: 99, width: 1, height: 1 });
});

test('enrolment shot indices follow floor(i*n/K)', () => {
  assert.equal(enrolmentIndices(13, 3), [0, 4, 8]);
  assert.equal(enrolmentIndices(34, 3), [0, 11, 22]);
  assert.equal(enrolmentIndices(2, 3), [0, 1]);
});

test('pet ids are topic-safe and unique', () => {
  assert.is(slugifyPetName('Mr. Whiskers'), 'mr_whiskers');
  assert.is(slugifyPetName('Zoé'), 'zoe');
  assert.is(slugifyPetName('猫'), 'pet');
  assert.is(uniquePetId('Zoe', new Set(['zoe', 'zoe_2'])), 'zoe_3');
  for (const n of ['a/b#+', ' x ', 'Ünïcödé cat!', '../..']) assert.ok(PET_ID_RE.test(slugifyPetName(n)), n);
});

test.run();
