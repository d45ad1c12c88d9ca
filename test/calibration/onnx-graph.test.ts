import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { join } from 'node:path';
import { hasCode, type ErrorCode } from '../../daemon/src/errors.js';
import { loadModel, encodeModel, decodeModel } from '../../calibration/src/onnx/proto.js';
import {
  assertSupportedOps,
  exposeTensors,
  inputShapes,
  parseShapeArg,
  resolveInputShapes,
  tensorNames,
} from '../../calibration/src/onnx/graph.js';
import { createSession, runFloat } from '../../calibration/src/ort.js';
import { modelsDir, requireFixtures } from '../helpers/paths.js';
import { tinyConvModel } from './synthetic.js';

requireFixtures();
const yolox = join(modelsDir, 'yolox_nano_416_coco.onnx');
const mnv2 = join(modelsDir, 'mobilenetv2-12-int8_pooled.onnx');

function throwsCode(fn: () => unknown, code: ErrorCode): void {
  try {
    fn();
  } catch (e) {
    assert.ok(hasCode(e, code), `expected ${code}, got ${(e as { code?: string }).code}: ${(e as Error).message}`);
    return;
  }
  assert.unreachable(`expected ${code}`);
}

test('YOLOX: tensor names cover the input, intermediates and the output', () => {
  const m = loadModel(yolox);
  const names = tensorNames(m);
  assert.is(names[0], 'images');
  assert.ok(names.includes('output'));
  assert.ok(names.length > 300, `only ${names.length} names`);
  assert.equal(resolveInputShapes(m), { images: [1, 3, 416, 416] });
});

test('an exposed intermediate tensor is returned by onnxruntime after re-encoding', async () => {
  const m = loadModel(yolox);
  const conv = m.graph!.node!.find((n) => n.opType === 'Conv')!;
  const name = conv.output![0]!;
  exposeTensors(m, [name]);
  const s = await createSession(encodeModel(m));
  const out = await runFloat(s, { images: { dims: [1, 3, 416, 416], data: new Float32Array(3 * 416 * 416).fill(114) } });
  await s.release();
  assert.ok(out[name], `missing ${name}`);
  assert.is(out[name]!.dims.length, 4);
  assert.equal(out.output!.dims, [1, 3549, 85]);
});

test('exposing an unknown tensor is TENSOR_NOT_FOUND', () => {
  throwsCode(() => exposeTensors(tinyConvModel(), ['nope']), 'TENSOR_NOT_FOUND');
});

test('dynamic shapes: detected, refused without a shape, accepted with one', () => {
  const m = loadModel(mnv2);
  assert.equal(inputShapes(m).input, ['batch_size', 3, 224, 224]);
  throwsCode(() => resolveInputShapes(m), 'DYNAMIC_SHAPE');
  assert.equal(resolveInputShapes(m, parseShapeArg('1x3x224x224', m)), { input: [1, 3, 224, 224] });
  throwsCode(() => resolveInputShapes(m, { input: [1, 3, 200, 224] }), 'SHAPE_INVALID');
  throwsCode(() => resolveInputShapes(tinyConvModel({ batch: 'N' })), 'DYNAMIC_SHAPE');
});

test('unsupported ops are named in a typed error', () => {
  try {
    assertSupportedOps(tinyConvModel({ extraOp: { op: 'NonMaxSuppression' } }));
    assert.unreachable('accepted NonMaxSuppression');
  } catch (e) {
    assert.ok(hasCode(e, 'UNSUPPORTED_OP'));
    assert.is((e as { context: { op: string } }).context.op, 'NonMaxSuppression');
  }
  throwsCode(() => assertSupportedOps(tinyConvModel({ extraOp: { op: 'FusedGemm', domain: 'com.microsoft' } })), 'UNSUPPORTED_OP');
  // The QOperator MobileNetV2 is only accepted where it will be converted back to FP32 first.
  throwsCode(() => assertSupportedOps(loadModel(mnv2)), 'UNSUPPORTED_OP');
  assertSupportedOps(loadModel(mnv2), { allowQOperator: true });
  assertSupportedOps(loadModel(yolox));
});

test('garbage bytes are ONNX_INVALID', () => {
  throwsCode(() => decodeModel(new Uint8Array([1, 2, 3, 4, 5, 255, 255]), 'junk'), 'ONNX_INVALID');
});

test.run();
