/**
 * The cascade evaluator (kernels/cascade.ts), its XML reader and the face search:
 * a synthetic cascade gives its known answer and agrees with a brute-force
 * evaluation (pixel sums without integral images) at every window; malformed and
 * unsupported cascades are refused with codes; the real cat-face cascade finds the
 * face of a photo where it is clearly visible, and nothing on a flat image.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  flattenCascade,
  integralImage,
  scanWindows,
  windowStages,
  type Cascade,
  type GreyImage,
} from '../../daemon/src/kernels/cascade.js';
import { parseCascadeXml } from '../../daemon/src/recognition/face/cascade-xml.js';
import { findFace, groupBoxes } from '../../daemon/src/recognition/face/find-face.js';
import { decodeImageFile } from '../../daemon/src/vision/decode.js';
import { GlovesError } from '../../daemon/src/errors.js';
import type { Box } from '../../daemon/src/recognition/types.js';
import { catsDir, fixtures, requireFixtures } from '../helpers/paths.js';

requireFixtures();
// OpenCV's cat-face cascades are third-party data, not committed: fixtures (models/fixtures.json) that
// setup installs into .fixtures/haar from the data mirror or their public URL, verified by sha256.
const haarDir = join(fixtures, 'haar');

/** One stage, one stump: left half brighter than the whole by 1 contrast unit passes. */
const EDGE: Cascade = {
  width: 4,
  height: 4,
  stages: [{ threshold: 0, trees: [{ nodes: [{ feature: 0, threshold: 1, left: 0, right: -1 }], leaves: [-1, 1] }] }],
  features: [
    {
      rects: [
        { x: 0, y: 0, w: 4, h: 4, weight: -1 },
        { x: 0, y: 0, w: 2, h: 4, weight: 2 },
      ],
    },
  ],
};

function grey(width: number, height: number, f: (x: number, y: number) => number): GreyImage {
  const data = new Uint8Array(width * height);
  for (let y = 0; y < height; y++) for (let x = 0; x < width; x++) data[y * width + x] = f(x, y);
  return { width, height, data };
}

/** The cascade's meaning written out directly: pixel loops, no integral images. */
function bruteFeature(c: Cascade, img: GreyImage, x: number, y: number, fi: number): number {
  const px = (i: number, j: number): number => img.data[(y + j) * img.width + x + i]!;
  let s = 0;
  let q = 0;
  for (let j = 1; j < c.height - 1; j++) {
    for (let i = 1; i < c.width - 1; i++) {
      s += px(i, j);
      q += px(i, j) ** 2;
    }
  }
  const v = (c.width - 2) * (c.height - 2) * q - s * s;
  const norm = v > 0 ? Math.sqrt(v) : 1;
  return (
    c.features[fi]!.rects.reduce((acc, r) => {
      let t = 0;
      for (let j = r.y; j < r.y + r.h; j++) for (let i = r.x; i < r.x + r.w; i++) t += px(i, j);
      return acc + r.weight * t;
    }, 0) / norm
  );
}

function bruteTotal(c: Cascade, img: GreyImage, x: number, y: number, si: number): number {
  let total = 0;
  for (const tree of c.stages[si]!.trees) {
    let idx = 0;
    for (;;) {
      const n = tree.nodes[idx]!;
      const next = bruteFeature(c, img, x, y, n.feature) < n.threshold ? n.left : n.right;
      if (next <= 0) {
        total += tree.leaves[-next]!;
        break;
      }
      idx = next;
    }
  }
  return total;
}

function bruteStages(c: Cascade, img: GreyImage, x: number, y: number): number {
  for (let si = 0; si < c.stages.length; si++) if (bruteTotal(c, img, x, y, si) < c.stages[si]!.threshold) return si;
  return c.stages.length;
}

test('synthetic cascade: the known answer (a bright-left patch at (4,4) passes, flat windows fail)', () => {
  // Left half 200, right half 50: feature = -(8*200 + 8*50) + 2*(8*200) = 1200, contrast
  // sqrt(4*85000 - 500^2) = 300, 1200 >= 1 * 300 passes. A flat window has feature 0 < 1.
  const img = grey(12, 12, (x, y) => (y >= 4 && y < 8 ? (x >= 4 && x < 6 ? 200 : x >= 6 && x < 8 ? 50 : 0) : 0));
  const ii = integralImage(img);
  const flat = flattenCascade(EDGE, img.width + 1);
  assert.is(windowStages(flat, ii, 4, 4), 1);
  assert.is(windowStages(flat, ii, 0, 0), 0);
  assert.is(windowStages(flat, ii, 8, 8), 0);
  const hits = scanWindows(EDGE, img, 1);
  assert.ok(hits.some((h) => h.x === 4 && h.y === 4));
  for (const h of hits) assert.is(bruteStages(EDGE, img, h.x, h.y), 1);
});

test('synthetic cascade: integral-image evaluation equals brute force at every window (depth-2 trees, 3 stages)', () => {
  let seed = 7;
  const rnd = (): number => (seed = (Math.imul(seed, 1103515245) + 12345) >>> 0) / 2 ** 32;
  const W = 8;
  const features = Array.from({ length: 6 }, () => {
    const r = (): { x: number; y: number; w: number; h: number; weight: number } => {
      const x = Math.floor(rnd() * (W - 1));
      const y = Math.floor(rnd() * (W - 1));
      return { x, y, w: 1 + Math.floor(rnd() * (W - x - 1)), h: 1 + Math.floor(rnd() * (W - y - 1)), weight: rnd() * 4 - 2 };
    };
    return { rects: [r(), r(), r()] };
  });
  const tree = (): Cascade['stages'][number]['trees'][number] => ({
    nodes: [
      { feature: Math.floor(rnd() * 6), threshold: rnd() * 0.4 - 0.2, left: 1, right: -2 },
      { feature: Math.floor(rnd() * 6), threshold: rnd() * 0.4 - 0.2, left: 0, right: -1 },
    ],
    leaves: [rnd() - 0.5, rnd() - 0.5, rnd() - 0.5],
  });
  const c: Cascade = {
    width: W,
    height: W,
    features,
    stages: [0, 1, 2].map(() => ({ threshold: 0, trees: [tree(), tree(), tree(), tree()] })),
  };
  const img = grey(40, 30, () => Math.floor(rnd() * 256));
  // Node thresholds at their feature's median value, each stage's threshold at the median total of the windows that reach it: some windows
  // stop at every stage and some pass them all.
  const windows: [number, number][] = [];
  for (let y = 0; y + W <= img.height; y++) for (let x = 0; x + W <= img.width; x++) windows.push([x, y]);
  const median = (xs: number[]): number => xs.sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
  for (const st of c.stages)
    for (const t of st.trees)
      for (const n of t.nodes) n.threshold = median(windows.map(([x, y]) => bruteFeature(c, img, x, y, n.feature))) + 1e-9;
  let reach = windows;
  c.stages.forEach((st, si) => {
    st.threshold = median(reach.map(([x, y]) => bruteTotal(c, img, x, y, si)));
    reach = reach.filter(([x, y]) => bruteTotal(c, img, x, y, si) >= st.threshold);
  });
  const ii = integralImage(img);
  const flat = flattenCascade(c, img.width + 1);
  const seen = new Set<number>();
  for (let y = 0; y + W <= img.height; y++) {
    for (let x = 0; x + W <= img.width; x++) {
      const want = bruteStages(c, img, x, y);
      assert.is(windowStages(flat, ii, x, y), want, `window (${x},${y})`);
      seen.add(want);
    }
  }
  // The random cascade rejects at different stages and accepts some: every branch ran.
  assert.equal([...seen].sort(), [0, 1, 2, 3], `stages reached: ${[...seen]}`);
});

const XML = (body: string, type = 'HAAR'): string => `<?xml version="1.0"?>
<opencv_storage><cascade><stageType>BOOST</stageType><featureType>${type}</featureType>
<height>4</height><width>4</width><stageParams><maxWeakCount>1</maxWeakCount></stageParams>
<stageNum>1</stageNum>${body}</cascade></opencv_storage>`;
const STAGES = `<stages><!-- stage 0 --><_><maxWeakCount>1</maxWeakCount><stageThreshold>0.</stageThreshold>
<weakClassifiers><_><internalNodes>0 -1 0 1.</internalNodes><leafValues>-1. 1.</leafValues></_></weakClassifiers></_></stages>`;
const FEATURES = (tilted = 0, rect = '0 0 2 4 2.'): string =>
  `<features><_><rects><_>0 0 4 4 -1.</_><_>${rect}</_></rects><tilted>${tilted}</tilted></_></features>`;

test('XML reader: OpenCV storage format into the cascade (comments ignored)', () => {
  assert.equal(parseCascadeXml(XML(STAGES + FEATURES()), 'edge.xml'), EDGE);
});

test('XML reader: unsupported and malformed cascades are refused with codes', () => {
  const code = (xml: string): string => {
    try {
      parseCascadeXml(xml, 'x.xml');
    } catch (err) {
      assert.instance(err, GlovesError);
      return (err as GlovesError).code;
    }
    return 'parsed';
  };
  assert.is(code(XML(STAGES + FEATURES(), 'LBP')), 'CASCADE_UNSUPPORTED');
  assert.is(code(XML(STAGES + FEATURES(1))), 'CASCADE_UNSUPPORTED');
  assert.is(code(XML(STAGES + FEATURES(0, '3 0 2 4 2.'))), 'CASCADE_INVALID'); // outside the window
  assert.is(code(XML(STAGES.replace('0 -1 0 1.', '0 -1 5 1.') + FEATURES())), 'CASCADE_INVALID'); // no feature 5
  assert.is(code(XML(STAGES.replace('0 -1 0 1.', '0 -3 0 1.') + FEATURES())), 'CASCADE_INVALID'); // no leaf 3
  assert.is(code(XML(STAGES.replace('0 -1 0 1.', '0 -1 0') + FEATURES())), 'CASCADE_INVALID');
  assert.is(code(XML(FEATURES())), 'CASCADE_INVALID');
  assert.is(code('not xml'), 'CASCADE_UNSUPPORTED');
  assert.is(code(XML(STAGES + FEATURES()).replace('<stageNum>1', '<stageNum>2')), 'CASCADE_INVALID');
});

test('groupBoxes: overlapping windows form one group with their mean box; a distant one stays alone', () => {
  const g = groupBoxes(
    [
      [0, 0, 10, 10],
      [1, 1, 11, 11],
      [2, 0, 12, 10],
      [50, 50, 60, 60],
    ],
    0.3,
  );
  g.sort((a, b) => b.neighbors - a.neighbors);
  assert.is(g.length, 2);
  assert.is(g[0]!.neighbors, 3);
  assert.equal(g[0]!.box, [1, 1 / 3, 11, 31 / 3]);
  assert.equal(g[1], { box: [50, 50, 60, 60], neighbors: 1 });
});

test('real cat-face cascade: finds the face of appy/01 (frontal, clearly visible) and nothing on a flat image', async () => {
  const cascade = parseCascadeXml(readFileSync(join(haarDir, 'haarcascade_frontalcatface.xml'), 'utf8'), 'frontalcatface');
  assert.is(cascade.stages.length, 20);
  const img = await decodeImageFile(join(catsDir, 'appy', '01.jpg'));
  // The detector's best box on this photo (640x640): the cat sits facing the camera, its face
  // (eyes about y=150, nose x=245 y=195 at this size) in the upper third.
  const body: Box = [34, 30, 594, 618];
  const face = findFace(cascade, img, body);
  assert.ok(face, 'a face');
  const [x1, y1, x2, y2] = face!.box;
  const cx = (x1 + x2) / 2;
  const cy = (y1 + y2) / 2;
  assert.ok(cx > 200 && cx < 300 && cy > 130 && cy < 240, `face centre (${cx}, ${cy})`);
  assert.ok(x2 - x1 > 120 && x2 - x1 < 320, `face width ${x2 - x1}`);
  const flat = { width: 320, height: 320, data: new Uint8Array(320 * 320 * 3).fill(128) };
  assert.is(findFace(cascade, flat, [10, 10, 310, 310]), null);
  // The extended cascade uses tilted features, which this evaluator does not read.
  assert.throws(
    () => parseCascadeXml(readFileSync(join(haarDir, 'haarcascade_frontalcatface_extended.xml'), 'utf8'), 'extended'),
    (e: unknown) => e instanceof GlovesError && e.code === 'CASCADE_UNSUPPORTED',
  );
});

test.run();
