/**
 * The contract against the tensorrt backend over the mock native addon (engines run in onnxruntime).
 * The embedder is the float copy of the shipped QOperator one: the mock, like TensorRT, refuses QOperator.
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createTensorRtBackend } from '../../daemon/src/inference/tensorrt/backend.js';
import { silentLogger } from '../../daemon/src/log/logger.js';
import { createMockAddon } from '../../daemon/src/native-mock/mock-addon.js';
import { test } from 'uvu';
import { backendContract } from './contract.js';
import { floatEmbedderFile } from './trt-ready.js';

backendContract(
  'tensorrt over the mock addon',
  'tensorrt',
  async () =>
    createTensorRtBackend({
      addon: createMockAddon(),
      logger: silentLogger(),
      engineCacheDir: mkdtempSync(join(tmpdir(), 'gloves-engines-')),
    }),
  null,
  { embedderFile: floatEmbedderFile },
);

test.run();
