/** Small graph-editing helpers: unique names, topological order, opset upgrade. */
import { attr, graphOf, onnx, toInt, type ModelProto, type NodeProto } from './proto.js';
import { int64Tensor } from './tensors.js';
import { TrainerError } from '../errors.js';

/** A name generator that never collides with any tensor or node name already in the graph. */
export function nameAllocator(m: ModelProto): (base: string) => string {
  const g = graphOf(m);
  const used = new Set<string>();
  for (const t of g.initializer) used.add(t.name ?? '');
  for (const i of g.input) used.add(i.name ?? '');
  for (const n of g.node) {
    for (const o of n.output ?? []) used.add(o);
    used.add(n.name ?? '');
  }
  return (base) => {
    let name = base;
    for (let k = 1; used.has(name); k++) name = `${base}_${k}`;
    used.add(name);
    return name;
  };
}

/** Reorder nodes topologically (stable: keeps the original order where the graph allows). */
export function topoSort(m: ModelProto): void {
  const g = graphOf(m);
  const available = new Set<string>(['']);
  for (const t of g.initializer) available.add(t.name ?? '');
  for (const i of g.input) available.add(i.name ?? '');
  const pending = [...g.node];
  const out: NodeProto[] = [];
  while (pending.length > 0) {
    const before = pending.length;
    for (let i = 0; i < pending.length;) {
      const n = pending[i]!;
      if ((n.input ?? []).every((x) => available.has(x))) {
        out.push(n);
        for (const o of n.output ?? []) available.add(o);
        pending.splice(i, 1);
      } else i++;
    }
    if (pending.length === before) {
      const n = pending[0]!;
      throw new TrainerError('ONNX_INVALID', `graph has a cycle or a missing input at node ${n.name ?? n.opType}`, { node: n.name ?? '' });
    }
  }
  g.node = out;
}

/**
 * Raise the default-domain opset to at least `target` (13 gives per-channel
 * DequantizeLinear). Converts the ops in this project's models whose signature
 * changed on the way: Unsqueeze/Squeeze axes become an input at 13.
 */
export function upgradeOpset(m: ModelProto, target = 13): void {
  m.opsetImport ??= [];
  let def = m.opsetImport.find((o) => (o.domain ?? '') === '' || o.domain === 'ai.onnx');
  if (!def) {
    def = onnx.OperatorSetIdProto.create({ domain: '', version: target });
    m.opsetImport.push(def);
  }
  const from = toInt(def.version);
  if (from >= target) return;
  const g = graphOf(m);
  const newName = nameAllocator(m);
  for (const n of g.node) {
    if ((n.domain ?? '') !== '') continue;
    const op = n.opType ?? '';
    if ((op === 'Unsqueeze' || op === 'Squeeze') && from < 13) {
      const a = attr(n, 'axes');
      if (a) {
        const axes = (a.ints ?? []).map((v) => toInt(v));
        const t = int64Tensor(newName(`${n.name || op}_axes`), [axes.length], axes);
        g.initializer.push(t);
        n.input = [n.input![0]!, t.name!];
        n.attribute = (n.attribute ?? []).filter((x) => x.name !== 'axes');
      }
    } else if (op === 'Split' && from < 13 && attr(n, 'split')) {
      throw new TrainerError('UNSUPPORTED_OP', 'Split with a split attribute cannot be upgraded to opset 13 yet', { op });
    }
  }
  def.version = target;
}
