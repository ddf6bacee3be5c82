// Stores a model's large float weights as float16 (half the file) behind a Cast that ONNX Runtime folds at load,
// so inference still runs in float32 at full speed: what makes a bundled model small enough for a .vsix.
import { onnx } from 'onnx-proto';
import { fromHalfBits, toHalfBits } from '../../core/half';

const FLOAT = onnx.TensorProto.DataType.FLOAT;
const FLOAT16 = onnx.TensorProto.DataType.FLOAT16;

function floatsOf(t: onnx.ITensorProto): Float32Array {
  if (t.rawData && t.rawData.length) {
    const raw = t.rawData;
    return new Float32Array(raw.buffer.slice(raw.byteOffset, raw.byteOffset + raw.byteLength));
  }
  return Float32Array.from(t.floatData ?? []);
}

/**
 * Rewrites every float32 initializer with at least `minElements` values as float16 plus a Cast back to float32.
 * Returns how many tensors were converted. Small tensors (biases, LayerNorm) stay float32: they cost nothing.
 */
export function halveWeights(model: onnx.IModelProto, minElements = 4096): number {
  const g = model.graph;
  if (!g?.initializer) return 0;
  const casts: onnx.INodeProto[] = [];
  let n = 0;
  for (const t of g.initializer) {
    if (t.dataType !== FLOAT || !t.name) continue;
    const values = floatsOf(t);
    if (values.length < minElements) continue;
    const half = new Uint16Array(values.length);
    for (let i = 0; i < values.length; i++) half[i] = toHalfBits(values[i]);
    const name = t.name;
    t.name = `${name}__fp16`;
    t.dataType = FLOAT16;
    t.rawData = new Uint8Array(half.buffer);
    t.floatData = [];
    casts.push({ opType: 'Cast', input: [t.name], output: [name], name: `${name}__to_fp32`, attribute: [{ name: 'to', type: onnx.AttributeProto.AttributeType.INT, i: FLOAT }] });
    n++;
  }
  g.node = [...casts, ...(g.node ?? [])];
  return n;
}

/**
 * Undoes `halveWeights`: every float16 initializer that a Cast turns into float32 becomes a float32 initializer
 * under the Cast's output name, and the Cast goes. Lets the importer read our shipped models like any export.
 */
export function restoreHalfWeights(model: onnx.IModelProto): number {
  const g = model.graph;
  if (!g?.initializer || !g.node) return 0;
  const halves = new Map(g.initializer.filter((t) => t.dataType === FLOAT16 && t.name).map((t) => [t.name as string, t]));
  if (halves.size === 0) return 0;
  const restored: onnx.ITensorProto[] = [];
  const converted = new Set<string>();
  const kept: onnx.INodeProto[] = [];
  for (const n of g.node) {
    const src = n.opType === 'Cast' && n.input?.length === 1 ? halves.get(n.input[0]) : undefined;
    const to = n.attribute?.find((a) => a.name === 'to')?.i;
    if (!src || Number(to) !== FLOAT || !n.output?.[0]) {
      kept.push(n);
      continue;
    }
    const raw = src.rawData ?? new Uint8Array();
    const bits = new Uint16Array(raw.buffer.slice(raw.byteOffset, raw.byteOffset + raw.byteLength));
    const values = new Float32Array(bits.length);
    for (let i = 0; i < bits.length; i++) values[i] = fromHalfBits(bits[i]);
    restored.push({ name: n.output[0], dataType: FLOAT, dims: src.dims, rawData: new Uint8Array(values.buffer) });
    converted.add(src.name as string);
  }
  g.initializer = [...g.initializer.filter((t) => !converted.has(t.name as string)), ...restored];
  g.node = kept;
  return restored.length;
}
