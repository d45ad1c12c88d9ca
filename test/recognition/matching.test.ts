/**
 * The open-world matching recipe (pure parts): the eigen solver, the low-rank
 * within-class whitening, the enrolment-spread rule, the stats file format, and
 * the shipped statistics being the ones the matcher uses by default.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { loadConfig } from '../../daemon/src/config/load.js';
import { hasCode } from '../../daemon/src/errors.js';
import { fitPopulation, fitWhitening, RECIPE } from '../../daemon/src/evaluation/calibrate.js';
import type { EmbeddedPhoto } from '../../daemon/src/evaluation/dataset.js';
import { l2normalize } from '../../daemon/src/recognition/embedding/embedder.js';
import { symmetricEigen } from '../../daemon/src/recognition/matching/linalg.js';
import { buildPrototypes, decisionRule, enrolmentSpread, scorePets } from '../../daemon/src/recognition/matching/matcher.js';
import { applyTransform, loadStats, parseStats, serializeStats } from '../../daemon/src/recognition/matching/stats.js';
import { repoRoot } from '../helpers/paths.js';

/** Deterministic pseudo-random numbers (mulberry32). */
function rng(seed: number): () => number {
  let a = seed;
  return () => {
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296 - 0.5;
  };
}

test('symmetricEigen reconstructs the matrix and orders eigenvalues', () => {
  const r = rng(1);
  const n = 7;
  const b = Array.from({ length: n * n }, r);
  const a = new Float64Array(n * n);
  for (let i = 0; i < n; i++)
    for (let j = 0; j < n; j++) for (let k = 0; k < n; k++) a[i * n + j] = a[i * n + j]! + b[i * n + k]! * b[j * n + k]!;
  const { values, vectors } = symmetricEigen(a, n);
  for (let i = 1; i < n; i++) assert.ok(values[i - 1]! >= values[i]!);
  for (let i = 0; i < n; i++) {
    for (let j = 0; j < n; j++) {
      let s = 0;
      for (let k = 0; k < n; k++) s += values[k]! * vectors[k * n + i]! * vectors[k * n + j]!;
      assert.ok(Math.abs(s - a[i * n + j]!) < 1e-9, `A[${i},${j}] ${s} vs ${a[i * n + j]}`);
    }
  }
});

/** Synthetic pets: a random centre each, photos = centre + anisotropic noise. */
function synthetic(pets: number, photos: number, dim: number, seed: number): EmbeddedPhoto[] {
  const r = rng(seed);
  const noiseScale = Array.from({ length: dim }, (_, i) => (i < 2 ? 1.5 : 0.2));
  const out: EmbeddedPhoto[] = [];
  for (let p = 0; p < pets; p++) {
    const c = Array.from({ length: dim }, () => r());
    for (let k = 0; k < photos; k++) {
      const e = l2normalize(Float32Array.from(c, (v, i) => v + noiseScale[i]! * r()));
      out.push({ pet: `p${p}`, file: `${p}/${k}.jpg`, detection: null, embedding: e });
    }
  }
  return out;
}

test('low-rank whitening equals the dense (Sw + s I)^(-1/2) up to scale', () => {
  const dim = 6;
  const items = synthetic(4, 6, dim, 2);
  const shrink = 0.5;
  const w = fitWhitening(items, shrink);
  // Dense reference: Sw from the same photos.
  const sw = new Float64Array(dim * dim);
  const pets = [...new Set(items.map((i) => i.pet))];
  for (const p of pets) {
    const es = items.filter((i) => i.pet === p).map((i) => i.embedding!);
    const m = new Float64Array(dim);
    for (const e of es) for (let i = 0; i < dim; i++) m[i] = m[i]! + e[i]! / es.length;
    for (const e of es)
      for (let i = 0; i < dim; i++)
        for (let j = 0; j < dim; j++) sw[i * dim + j] = sw[i * dim + j]! + ((e[i]! - m[i]!) * (e[j]! - m[j]!)) / items.length;
  }
  const { values, vectors } = symmetricEigen(sw, dim);
  const s = (shrink * values.reduce((a, b) => a + b, 0)) / dim;
  const stats = { ...fitPopulation(items, 'x@1', shrink), whitening: w };
  const x = items[3]!.embedding!;
  const c = Float64Array.from(x, (v, i) => v - stats.mean[i]!);
  const dense = new Float32Array(dim);
  for (let k = 0; k < dim; k++) {
    let p = 0;
    for (let i = 0; i < dim; i++) p += vectors[k * dim + i]! * c[i]!;
    for (let i = 0; i < dim; i++) dense[i] = dense[i]! + (p / Math.sqrt(values[k]! + s)) * vectors[k * dim + i]!;
  }
  l2normalize(dense);
  const got = applyTransform(x, stats);
  for (let i = 0; i < dim; i++) assert.ok(Math.abs(got[i]! - dense[i]!) < 1e-4, `${i}: ${got[i]} vs ${dense[i]}`);
});

test('whitening suppresses within-pet directions: nearest prototype improves on noisy synthetic pets', () => {
  const items = synthetic(8, 8, 16, 3);
  const rule = { ...decisionRule(loadConfig({}).matching, undefined), spreadWeight: 0 };
  const acc = (stats: ReturnType<typeof fitPopulation> | undefined): number => {
    const pets = [...new Set(items.map((i) => i.pet))].map((id) => ({
      id,
      name: id,
      embeddings: items
        .filter((i) => i.pet === id)
        .slice(0, 3)
        .map((i) => i.embedding!),
    }));
    const protos = buildPrototypes(pets, rule, stats);
    const q = items.filter((i) => Number(i.file.split('/')[1]!.split('.')[0]) >= 3);
    return q.filter((i) => scorePets(applyTransform(i.embedding!, stats), protos, rule)[0]!.petId === i.pet).length / q.length;
  };
  const plain = acc(undefined);
  const white = acc(fitPopulation(items, 'x@1', 0.5));
  assert.ok(white > plain, `whitened ${white} vs plain ${plain}`);
});

test('spread rule: score = cosine - weight x mean pairwise cosine; one photo uses the default spread', () => {
  const u = (v: number[]): Float32Array => l2normalize(Float32Array.from(v));
  const tight = [u([1, 0.1, 0]), u([1, -0.1, 0]), u([1, 0, 0.1])];
  const loose = [u([1, 1, 0]), u([1, -1, 0])];
  assert.ok(Math.abs(enrolmentSpread(loose, 9) - 0) < 1e-6);
  assert.is(enrolmentSpread([u([1, 0, 0])], 0.42), 0.42);
  const base = decisionRule(loadConfig({}).matching, undefined);
  const rule = { ...base, spreadWeight: 0.5, defaultSpread: 0.3 };
  const protos = buildPrototypes(
    [
      { id: 'tight', name: 'T', embeddings: tight },
      { id: 'loose', name: 'L', embeddings: loose },
      { id: 'one', name: 'O', embeddings: [u([0, 0, 1])] },
    ],
    rule,
    undefined,
  );
  const q = u([1, 0, 0.05]);
  const scores = new Map(scorePets(q, protos, rule).map((s) => [s.petId, s.score]));
  const t = protos.find((p) => p.petId === 'tight')!;
  let cos = 0;
  for (let i = 0; i < 3; i++) cos += q[i]! * t.vectors[0]![i]!;
  assert.ok(Math.abs(scores.get('tight')! - (cos - 0.5 * enrolmentSpread(tight, 0))) < 1e-6);
  assert.ok(Math.abs(scores.get('one')! - (q[2]! - 0.5 * 0.3)) < 1e-6);
  // Both point the same way as the query; the pet whose photos agree closely must clear a higher bar.
  assert.is(scorePets(q, protos, rule)[0]!.petId, 'loose');
  assert.is(scorePets(q, protos, { ...rule, spreadWeight: 0 })[0]!.petId, 'tight');
});

test('stats files: whitening round-trips; a size mismatch is STATS_INVALID', () => {
  const items = synthetic(3, 4, 5, 4);
  const st = fitPopulation(items, 'm@abc', 0.5);
  const doc = serializeStats(st, 'test');
  const back = parseStats(JSON.parse(JSON.stringify(doc)), 'mem');
  assert.is(back.recipe, RECIPE);
  assert.equal(Array.from(back.whitening!.coef), Array.from(st.whitening!.coef));
  const x = items[0]!.embedding!;
  // The basis is stored in float16: the transform agrees to half precision.
  const a = applyTransform(x, back);
  const b = applyTransform(x, st);
  for (let i = 0; i < a.length; i++) assert.ok(Math.abs(a[i]! - b[i]!) < 2e-3, `${i}: ${a[i]} vs ${b[i]}`);
  const bad = { ...doc, whitening: { ...doc.whitening!, rank: doc.whitening!.rank + 1 } };
  try {
    parseStats(bad, 'mem');
    assert.unreachable('accepted a bad whitening');
  } catch (err) {
    assert.ok(hasCode(err, 'STATS_INVALID'), String(err));
  }
});

test('the shipped statistics are versioned with the embedder and drive the default rule', () => {
  const config = loadConfig({});
  const manifest = JSON.parse(readFileSync(join(repoRoot, 'models', `${config.models.embedder}.json`), 'utf8')) as {
    name: string;
    sha256: string;
  };
  const id = `${manifest.name}@${manifest.sha256.slice(0, 12)}`;
  const st = loadStats(join(repoRoot, config.matching.statsDir), id);
  assert.ok(st, `no stats for ${id}`);
  assert.is(st!.recipe, RECIPE);
  assert.ok(st!.whitening && st!.whitening.rank > 50);
  const rule = decisionRule(config.matching, st);
  assert.is(rule.threshold, st!.calibration.threshold);
  assert.ok(rule.spreadWeight > 0 && rule.defaultSpread > 0);
  assert.ok(/CV across \d+ cats/.test(st!.calibration.method), st!.calibration.method);
  assert.ok(rule.llr && rule.llr.slope > 0, 'LLR calibration for track evidence');
  assert.ok(st!.calibration.predicted && st!.calibration.predicted.false_accept <= 0.1, 'the prediction is recorded');
  assert.is(loadStats(join(repoRoot, config.matching.statsDir), `${manifest.name}@000000000000`), undefined);
});

test.run();
