/** Deterministic synthetic data and tiny ONNX models for the calibration tests. */
import { onnx, DataType, type ModelProto, type NodeProto, type ValueInfoProto } from '../../calibration/src/onnx/proto.js';
import { floatTensor } from '../../calibration/src/onnx/tensors.js';
import { rng } from '../helpers/rng.js';

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

function vi(name: string, dims: (number | string)[]): ValueInfoProto {
  return onnx.ValueInfoProto.create({
    name,
    type: {
      tensorType: {
        elemType: DataType.FLOAT,
        shape: { dim: dims.map((d) => (typeof d === 'number' ? { dimValue: d } : { dimParam: d })) },
      },
    },
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
  const nodes: NodeProto[] = [
    {
      opType: 'Conv',
      name: 'conv1',
      input: ['x', 'w1', 'b1'],
      output: ['c1'],
      attribute: [
        { name: 'pads', type: 7, ints: [1, 1, 1, 1] },
        { name: 'kernel_shape', type: 7, ints: [3, 3] },
      ],
    },
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

/**
 * x[1,3,8,8] -> Conv c1 (4 out, 1x1) -> Relu r1 -> Conv (2 out, 1x1) -> y.
 * Channel 0 of r1 is ~1000x the others; y's channel 0 is r1[0] / 1000 and its
 * channel 1 mixes r1[1..3], so both matter equally. A per-tensor int8 range for
 * r1 wipes out channels 1..3 while x quantizes well: the mixed-precision search
 * must keep r1, and only r1, in float.
 */
export function outlierChannelModel(): ModelProto {
  const r = rng(11);
  const w1 = Float32Array.from({ length: 4 * 3 }, () => 0.5 + r());
  for (let i = 0; i < 3; i++) w1[i] = w1[i]! * 1000;
  const w2 = Float32Array.of(0.001, 0, 0, 0, 0, 1, -1, 0.7);
  return onnx.ModelProto.create({
    irVersion: 7,
    producerName: 'gloves-test',
    opsetImport: [{ domain: '', version: 13 }],
    graph: {
      name: 'outlier',
      node: [
        { opType: 'Conv', name: 'conv1', input: ['x', 'w1'], output: ['c1'] },
        { opType: 'Relu', name: 'relu1', input: ['c1'], output: ['r1'] },
        { opType: 'Conv', name: 'conv2', input: ['r1', 'w2'], output: ['y'] },
      ],
      initializer: [floatTensor('w1', [4, 3, 1, 1], w1), floatTensor('w2', [2, 4, 1, 1], w2)],
      input: [vi('x', [1, 3, 8, 8])],
      output: [vi('y', [1, 2, 8, 8])],
    },
  });
}

/** x[1,2,4,4] -> Conv (2 out, 1x1, bias b) -> y, weights far from the int8 grid. */
export function biasModel(): ModelProto {
  const w = Float32Array.of(0.3013, -0.2987, 0.0517, 0.4491);
  return onnx.ModelProto.create({
    irVersion: 7,
    producerName: 'gloves-test',
    opsetImport: [{ domain: '', version: 13 }],
    graph: {
      name: 'bias',
      node: [{ opType: 'Conv', name: 'conv', input: ['x', 'w', 'b'], output: ['y'] }],
      initializer: [floatTensor('w', [2, 2, 1, 1], w), floatTensor('b', [2], Float32Array.of(0.1, -0.2))],
      input: [vi('x', [1, 2, 4, 4])],
      output: [vi('y', [1, 2, 4, 4])],
    },
  });
}
