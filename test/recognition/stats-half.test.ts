import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { b64ToF32, f32ToB64, f32ToB64Half } from '../../daemon/src/recognition/matching/stats.js';

test('float16 encoding round-trips within half precision and keeps f32 files readable', () => {
  const v = new Float32Array([0, 1, -1, 0.5, 0.333333, -0.0001234, 1e-6, 0.299, 65504, -2.5e-8]);
  const back = b64ToF32(f32ToB64Half(v));
  assert.is(back.length, v.length);
  for (let i = 0; i < v.length; i++) {
    const tol = Math.max(Math.abs(v[i]!) * 1e-3, 6e-8);
    assert.ok(Math.abs(back[i]! - v[i]!) <= tol, `${v[i]} -> ${back[i]}`);
  }
  assert.equal([...b64ToF32(f32ToB64(v))], [...v]);
});

test('random unit-scale values: max error below 5e-4', () => {
  let seed = 7;
  const rnd = () => ((seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31) * 2 - 1;
  const v = Float32Array.from({ length: 5000 }, () => rnd() * 0.4);
  const back = b64ToF32(f32ToB64Half(v));
  let m = 0;
  for (let i = 0; i < v.length; i++) m = Math.max(m, Math.abs(back[i]! - v[i]!));
  assert.ok(m < 5e-4 && m > 0, String(m));
});

test.run();
