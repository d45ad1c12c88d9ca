import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { hasCode } from '../../daemon/src/errors.js';
import {
  cacheAlgorithm,
  hexScale,
  nvTensorrtVersion,
  parseCalibrationCache,
  scaleHex,
  writeCalibrationCache,
} from '../../calibration/src/trt/cache.js';

test('1/127 encodes as 3c010204 (big-endian float32 bits)', () => {
  assert.is(scaleHex(1 / 127), '3c010204');
  assert.is(scaleHex(1), '3f800000');
  assert.is(scaleHex(0), '00000000');
  assert.is(hexScale('3c010204'), Math.fround(1 / 127));
});

test('NV_TENSORRT_VERSION per major', () => {
  assert.is(nvTensorrtVersion('8.2.5'), 8205);
  assert.is(nvTensorrtVersion('8.6.1'), 8601);
  assert.is(nvTensorrtVersion('10.3.0'), 100300);
  assert.is(nvTensorrtVersion('10.16.1'), 101601);
  for (const bad of ['10.3', 'x', '6.0.1', '8.12.0']) {
    try {
      nvTensorrtVersion(bad);
      assert.unreachable(bad);
    } catch (e) {
      assert.ok(hasCode(e, 'TRT_VERSION_INVALID'), bad);
    }
  }
});

test('cache text: header carries version and algorithm; amax/127 per line', () => {
  const text = writeCalibrationCache(
    [
      { name: 'images', amax: 1 },
      { name: 'conv_1', amax: 127 },
    ],
    '10.3.0',
    cacheAlgorithm('entropy'),
  );
  assert.is(text, 'TRT-100300-EntropyCalibration2\nimages: 3c010204\nconv_1: 3f800000\n');
  const mm = writeCalibrationCache([{ name: 'a', amax: 1 }], '8.2.1', cacheAlgorithm('minmax'));
  assert.ok(mm.startsWith('TRT-8201-MinMaxCalibration\n'));
  const parsed = parseCalibrationCache(text);
  assert.is(parsed.version, 100300);
  assert.is(parsed.algorithm, 'EntropyCalibration2');
  assert.is(parsed.scales.get('conv_1'), 1);
});

test("names containing ':' are refused with TENSOR_NAME_INVALID", () => {
  try {
    writeCalibrationCache(
      [
        { name: 'ok', amax: 1 },
        { name: 'bad:name', amax: 1 },
      ],
      '10.3.0',
      'EntropyCalibration2',
    );
    assert.unreachable();
  } catch (e) {
    assert.ok(hasCode(e, 'TENSOR_NAME_INVALID'));
  }
});

test.run();
