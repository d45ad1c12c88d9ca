/**
 * A worker thread holding one onnxruntime session (bench/overlap.ts): runs
 * what it is sent and sends the outputs back. onnxruntime-node runs inference
 * synchronously on the thread that calls run(), so this is the only way to
 * have two models compute at once in one process. Plain JavaScript: worker
 * threads do not inherit the tsx loader.
 */
import { parentPort, workerData } from 'node:worker_threads';
import * as ort from 'onnxruntime-node';

const { file, threads, input, output } = workerData;
const session = await ort.InferenceSession.create(file, {
  intraOpNumThreads: threads,
  interOpNumThreads: 1,
  graphOptimizationLevel: 'all',
});
parentPort.on('message', async (m) => {
  if (m === 'close') {
    await session.release();
    process.exit(0);
  }
  const out = await session.run({ [input]: new ort.Tensor('float32', m.data, m.dims) }, [output]);
  const data = out[output].data;
  parentPort.postMessage({ data, dims: out[output].dims }, [data.buffer]);
});
parentPort.postMessage('ready');
