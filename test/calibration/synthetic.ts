/** Deterministic synthetic data and tiny ONNX models for the calibration tests. */
import { onnx, DataType, type ModelProto } from '../../calibration/src/onnx/proto.js';
import { floatTensor } from '../../calibration/src/onnx/tensors.js';

/** mulberry32: a small seeded PRNG, so every run sees the same numbers. */
export function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export function gaussian(n: number, seed: number, sigma = 1): Float32Array {
  const r = rng(seed);
  const out = new Float32Array(n);
  for (let i = 0; i < n; i++) {
    const u = Math.max(r(), 1e-12);
    out[i] = sigma * Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * r());
  }
  return out;
}

export function uniform(n: number, seed: number, lo: number, hi: number): Float32Array {
  const r = rng(seed);
  return Float32Array.from({ length: n }, () => lo + (hi - lo) * r());
}

function vi(name: string, dims: (number | string)[]): onnx.IValueInfoProto {
  return onnx.ValueInfoProto.create({
    name,
    type: { tensorType: { elemType: DataType.FLOAT, shape: { dim: dims.map((d) => (typeof d === 'number' ? { dimValue: d } : { dimParam: d })) } } },
  });
}

/**
 * x[N?,3,8,8] -> Conv(4 out, 3x3, pad 1) -> Relu -> Conv(2 out, 1x1) -> y.
 * `batch` "N" makes the input dynamic; `extraOp` appends a node of that op type.
 */
export function tinyConvModel(opts: { batch?: number | string; extraOp?: { op: string; domain?: string } } = {}): ModelProto {
  const r = rng(7);
  const w1 = Float32Array.from({ length: 4 * 3 * 3 * 3 }, () => r() - 0.5);
  const b1 = Float32Array.from({ length: 4 }, () => r() * 0.1);
  const w2 = Float32Array.from({ length: 2 * 4 }, () => (r() - 0.5) * 2);
  const nodes: onnx.INodeProto[] = [
    { opType: 'Conv', name: 'conv1', input: ['x', 'w1', 'b1'], output: ['c1'], attribute: [{ name: 'pads', type: 7, ints: [1, 1, 1, 1] }, { name: 'kernel_shape', type: 7, ints: [3, 3] }] },
    { opType: 'Relu', name: 'relu1', input: ['c1'], output: ['r1'] },
    { opType: 'Conv', name: 'conv2', input: ['r1', 'w2'], output: ['y'] },
  ];
  let out = 'y';
  if (opts.extraOp) {
    nodes.push({ opType: opts.extraOp.op, domain: opts.extraOp.domain ?? '', name: 'extra', input: ['y'], output: ['z'] });
    out = 'z';
  }
  const b = opts.batch ?? 1;
  return onnx.ModelProto.create({
    irVersion: 7,
    producerName: 'gloves-test',
    opsetImport: [{ domain: '', version: 13 }],
    graph: {
      name: 'tiny',
      node: nodes,
      initializer: [floatTensor('w1', [4, 3, 3, 3], w1), floatTensor('b1', [4], b1), floatTensor('w2', [2, 4, 1, 1], w2)],
      input: [vi('x', [b, 3, 8, 8])],
      output: [vi(out, [b, 2, 8, 8])],
    },
  });
}
