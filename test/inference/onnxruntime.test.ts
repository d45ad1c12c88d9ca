import { createOnnxRuntimeBackend } from '../../daemon/src/inference/onnxruntime.js';
import { test } from 'uvu';
import { backendContract } from './contract.js';

backendContract('onnxruntime', 'onnxruntime', async () => createOnnxRuntimeBackend({ threads: 1 }), null);

test.run();
