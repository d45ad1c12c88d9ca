// Configure-time probe used by binding.gyp: prints one directory (or nothing).
//   node native/probe-tensorrt.cjs trt-include|trt-lib|cuda-include|cuda-lib
// TensorRT is used only when its headers (NvInfer.h and NvOnnxParser.h), its
// libraries and CUDA's runtime are all found. Overrides: TRT_INCLUDE_DIR,
// TRT_LIB_DIR, CUDA_INCLUDE_DIR, CUDA_LIB_DIR; GLOVES_TENSORRT=0 disables it.
// node-gyp flags (--trt_include_dir=...) override the result in binding.gyp.
'use strict';
const fs = require('node:fs');
const path = require('node:path');

const arch = process.arch === 'arm64' ? 'aarch64-linux-gnu' : 'x86_64-linux-gnu';
const has = (dir, files) => files.every((f) => fs.existsSync(path.join(dir, f)));
const first = (envName, candidates, files) => {
  const list = process.env[envName] ? [process.env[envName]] : candidates;
  return list.find((d) => d && has(d, files)) ?? '';
};

function probe() {
  if (process.env.GLOVES_TENSORRT === '0') return {};
  const cudaHome = process.env.CUDA_HOME || '/usr/local/cuda';
  const trtInclude = first(
    'TRT_INCLUDE_DIR',
    [`/usr/include/${arch}`, '/usr/local/tensorrt/include', '/usr/include'],
    ['NvInfer.h', 'NvOnnxParser.h'],
  );
  const trtLib = first('TRT_LIB_DIR', [`/usr/lib/${arch}`, '/usr/local/tensorrt/lib', '/usr/lib'], ['libnvinfer.so', 'libnvonnxparser.so']);
  const cudaInclude = first('CUDA_INCLUDE_DIR', [path.join(cudaHome, 'include'), '/usr/include'], ['cuda_runtime_api.h']);
  const cudaLib = first(
    'CUDA_LIB_DIR',
    [
      path.join(cudaHome, 'lib64'),
      path.join(cudaHome, 'targets', `${process.arch === 'arm64' ? 'aarch64' : 'x86_64'}-linux`, 'lib'),
      `/usr/lib/${arch}`,
    ],
    ['libcudart.so'],
  );
  if (!trtInclude || !trtLib || !cudaInclude || !cudaLib) return {};
  return { 'trt-include': trtInclude, 'trt-lib': trtLib, 'cuda-include': cudaInclude, 'cuda-lib': cudaLib };
}

process.stdout.write(probe()[process.argv[2]] ?? '');
