/**
 * Derived models: files that exist upstream only as a base model plus a
 * recipe (e.g. the pooled-embedding variant of MobileNetV2). Given the
 * sha256-verified base bytes, `deriveModel` applies the recipe with onnx-proto.
 *
 * The result is deterministic for a given onnx-proto/protobufjs version but not
 * byte-identical to the mirror's copy (made with Python's protobuf), so a
 * manifest records both hashes: `sha256` (mirror copy) and
 * `source.derivedFrom.resultSha256` (this function's output). Both are checked.
 */
import { createRequire } from 'node:module';
import { ModelError } from '../errors.js';

const require = createRequire(import.meta.url);

interface OnnxNode { name?: string; opType?: string; input: string[]; output: string[] }
interface OnnxGraph { node: OnnxNode[]; output: unknown[]; initializer: { name?: string }[] }
interface OnnxModel { graph: OnnxGraph }
interface OnnxProto {
  onnx: {
    ModelProto: { decode(b: Uint8Array): OnnxModel; encode(m: OnnxModel): { finish(): Uint8Array } };
    NodeProto: { create(o: Record<string, unknown>): OnnxNode };
    ValueInfoProto: { create(o: Record<string, unknown>): unknown };
  };
}

/** Recipe: expose a dequantized int8 tensor as a new float32 graph output. */
export interface ExposeDequantizedRecipe {
  kind: 'expose-dequantized';
  /** The quantized tensor (its `<base>_scale` and `<base>_zero_point` must exist). */
  tensor: string;
  scale: string;
  zeroPoint: string;
  output: string;
  nodeName: string;
}

export function deriveModel(base: Uint8Array, recipe: ExposeDequantizedRecipe): Buffer {
  const { onnx } = require('onnx-proto') as OnnxProto;
  let model: OnnxModel;
  try {
    model = onnx.ModelProto.decode(base);
  } catch (err) {
    throw new ModelError('MODEL_LOAD_FAILED', `base model is not a valid ONNX protobuf: ${(err as Error).message}`);
  }
  const known = new Set<string>([...model.graph.node.flatMap((n) => n.output), ...model.graph.initializer.map((i) => i.name ?? '')]);
  for (const t of [recipe.tensor, recipe.scale, recipe.zeroPoint]) {
    if (!known.has(t)) throw new ModelError('DERIVE_FAILED', `recipe tensor ${JSON.stringify(t)} is not in the base model`, { tensor: t });
  }
  model.graph.node.push(
    onnx.NodeProto.create({ name: recipe.nodeName, opType: 'DequantizeLinear', input: [recipe.tensor, recipe.scale, recipe.zeroPoint], output: [recipe.output] }),
  );
  model.graph.output.push(onnx.ValueInfoProto.create({ name: recipe.output, type: { tensorType: { elemType: 1 } } }));
  return Buffer.from(onnx.ModelProto.encode(model).finish());
}
