/**
 * Graph inspection and the edits calibration needs: list tensors, expose
 * intermediate tensors as graph outputs, input shapes (dynamic detection),
 * and the op allow-list of the quantizer.
 */
import { graphOf, onnx, toInt, type ModelProto, type NodeProto, type ValueInfoProto } from './proto.js';
import { TrainerError } from '../errors.js';

/** Ops whose FP32 graphs range collection and QDQ insertion handle. */
export const SUPPORTED_OPS: ReadonlySet<string> = new Set([
  'Conv',
  'ConvTranspose',
  'MatMul',
  'Gemm',
  'Add',
  'Sub',
  'Mul',
  'Div',
  'Relu',
  'Clip',
  'Sigmoid',
  'Tanh',
  'LeakyRelu',
  'HardSigmoid',
  'HardSwish',
  'PRelu',
  'MaxPool',
  'AveragePool',
  'GlobalAveragePool',
  'GlobalMaxPool',
  'Concat',
  'Slice',
  'Split',
  'Reshape',
  'Transpose',
  'Flatten',
  'Squeeze',
  'Unsqueeze',
  'Resize',
  'Upsample',
  'Shape',
  'Gather',
  'Constant',
  'Identity',
  'Softmax',
  'BatchNormalization',
  'Pad',
  'ReduceMean',
  'Exp',
  'Pow',
  'Sqrt',
  'Cast',
  'Expand',
  'Tile',
  'ConstantOfShape',
  'Range',
  'Floor',
  'Ceil',
  'Neg',
  'Abs',
]);

/** QOperator ops that `dequantizeQOperator` turns back into FP32 (QuantizeLinear/DequantizeLinear included). */
export const QOPERATOR_OPS: ReadonlySet<string> = new Set([
  'QuantizeLinear',
  'DequantizeLinear',
  'QLinearConv',
  'QLinearAdd',
  'QLinearMatMul',
  'QLinearGlobalAveragePool',
]);

export function opCounts(m: ModelProto): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const n of graphOf(m).node) counts[n.opType ?? '?'] = (counts[n.opType ?? '?'] ?? 0) + 1;
  return counts;
}

export function isQOperatorModel(m: ModelProto): boolean {
  return graphOf(m).node.some((n) => (n.opType ?? '').startsWith('QLinear'));
}

/**
 * Throws UNSUPPORTED_OP naming the first op (and node) the quantizer cannot handle.
 * `allowQOperator` admits the QOperator ops that can be converted back to FP32 first.
 */
export function assertSupportedOps(m: ModelProto, opts: { allowQOperator?: boolean } = {}): void {
  for (const n of graphOf(m).node) {
    const op = n.opType ?? '';
    const domain = n.domain ?? '';
    const standard = domain === '' || domain === 'ai.onnx';
    // onnxruntime's quantizer emits QLinearAdd/QLinearGlobalAveragePool in the com.microsoft domain.
    const qop = opts.allowQOperator === true && QOPERATOR_OPS.has(op) && (standard || domain === 'com.microsoft');
    const ok = (standard && SUPPORTED_OPS.has(op)) || qop;
    if (!ok) {
      const where = domain ? `${domain}::${op}` : op;
      throw new TrainerError('UNSUPPORTED_OP', `unsupported op ${where} (node ${JSON.stringify(n.name ?? '')}) for INT8 quantization`, {
        op,
        domain,
        node: n.name ?? '',
      });
    }
  }
}

export function initializerNames(m: ModelProto): Set<string> {
  return new Set(graphOf(m).initializer.map((t) => t.name ?? ''));
}

/** Graph inputs that are real inputs (not initializers listed as inputs, as older exporters do). */
export function realInputs(m: ModelProto): ValueInfoProto[] {
  const inits = initializerNames(m);
  return graphOf(m).input.filter((i) => !inits.has(i.name ?? ''));
}

/** Every activation tensor name: real inputs, then node outputs in graph order (no duplicates). */
export function tensorNames(m: ModelProto): string[] {
  const seen = new Set<string>();
  const out: string[] = [];
  const add = (n: string | null | undefined): void => {
    if (n && !seen.has(n)) {
      seen.add(n);
      out.push(n);
    }
  };
  for (const i of realInputs(m)) add(i.name);
  for (const n of graphOf(m).node) for (const o of n.output ?? []) add(o);
  return out;
}

/** Tensor names produced by nodes whose outputs are shape arithmetic, never float activations. */
function isShapeNode(n: NodeProto): boolean {
  return ['Shape', 'Constant', 'ConstantOfShape', 'Range'].includes(n.opType ?? '');
}

/** Candidate activation names for range collection (node outputs except shape arithmetic). */
export function activationCandidates(m: ModelProto): string[] {
  const g = graphOf(m);
  const skip = new Set<string>();
  for (const n of g.node) if (isShapeNode(n)) for (const o of n.output ?? []) skip.add(o);
  return tensorNames(m).filter((n) => !skip.has(n));
}

/**
 * Add `names` as graph outputs (in place) so that a runtime returns them.
 * Existing outputs are kept; unknown names throw TENSOR_NOT_FOUND.
 */
export function exposeTensors(m: ModelProto, names: readonly string[]): void {
  const g = graphOf(m);
  const known = new Set(tensorNames(m));
  const present = new Set(g.output.map((o) => o.name ?? ''));
  for (const name of names) {
    if (!known.has(name))
      throw new TrainerError('TENSOR_NOT_FOUND', `tensor ${JSON.stringify(name)} is not in the graph`, { tensor: name });
    if (present.has(name)) continue;
    g.output.push(onnx.ValueInfoProto.create({ name }));
    present.add(name);
  }
}

export type Dim = number | string | null;

/** Input shapes as declared: numbers for fixed dims, the dim_param string or null for dynamic ones. */
export function inputShapes(m: ModelProto): Record<string, Dim[]> {
  const out: Record<string, Dim[]> = {};
  for (const i of realInputs(m)) {
    const dims = i.type?.tensorType?.shape?.dim ?? [];
    out[i.name ?? ''] = dims.map((d) => {
      if (d.dimValue !== null && d.dimValue !== undefined && toInt(d.dimValue) > 0) return toInt(d.dimValue);
      return d.dimParam ? d.dimParam : null;
    });
  }
  return out;
}

/**
 * The concrete shape of every input: declared fixed dims, or the `given` shape.
 * Throws DYNAMIC_SHAPE when an input has a dynamic dim and no shape was given,
 * SHAPE_INVALID when a given shape contradicts the model.
 */
export function resolveInputShapes(m: ModelProto, given: Record<string, number[]> = {}): Record<string, number[]> {
  const out: Record<string, number[]> = {};
  for (const [name, dims] of Object.entries(inputShapes(m))) {
    const g = given[name];
    if (g) {
      const bad =
        g.length !== dims.length || g.some((v, k) => !Number.isInteger(v) || v <= 0 || (typeof dims[k] === 'number' && dims[k] !== v));
      if (bad) {
        throw new TrainerError(
          'SHAPE_INVALID',
          `shape [${g.join(',')}] does not fit input ${name} [${dims.map((d) => d ?? '?').join(',')}]`,
          { input: name, given: g, declared: dims },
        );
      }
      out[name] = [...g];
      continue;
    }
    if (dims.length === 0 || dims.some((d) => typeof d !== 'number')) {
      throw new TrainerError(
        'DYNAMIC_SHAPE',
        `input ${name} has dynamic shape [${dims.map((d) => d ?? '?').join(',')}]: give a concrete shape (e.g. --shape ${name}=1x3x224x224)`,
        { input: name, declared: dims },
      );
    }
    out[name] = dims as number[];
  }
  return out;
}

/** Parse `name=1x3x224x224[,name2=...]` or a bare `1x3x224x224` (for the single input). */
export function parseShapeArg(arg: string, m: ModelProto): Record<string, number[]> {
  const inputs = Object.keys(inputShapes(m));
  const out: Record<string, number[]> = {};
  for (const part of arg
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean)) {
    const eq = part.lastIndexOf('=');
    const name = eq >= 0 ? part.slice(0, eq) : inputs.length === 1 ? inputs[0]! : '';
    if (!name)
      throw new TrainerError('SHAPE_INVALID', `shape ${JSON.stringify(part)} must name its input (model has ${inputs.join(', ')})`, {
        arg,
      });
    const dims = part
      .slice(eq + 1)
      .split('x')
      .map(Number);
    if (dims.some((d) => !Number.isInteger(d) || d <= 0))
      throw new TrainerError('SHAPE_INVALID', `bad shape ${JSON.stringify(part)}`, { arg });
    out[name] = dims;
  }
  return out;
}
