// Stores a model's large float weights as float16 (half the file) behind a Cast that ONNX Runtime folds at load,
// so inference still runs in float32 at full speed: what makes a bundled model small enough for a .vsix.
import { onnx } from 'onnx-proto';

const FLOAT = onnx.TensorProto.DataType.FLOAT;
const FLOAT16 = onnx.TensorProto.DataType.FLOAT16;

const f32 = new Float32Array(1);
const u32 = new Uint32Array(f32.buffer);

/** IEEE 754 binary16 bits of `v`, rounded to nearest even (overflow → ±Inf, NaN kept). */
export function toHalfBits(v: number): number {
  f32[0] = v;
  const x = u32[0];
  const sign = (x >>> 16) & 0x8000;
  const exp = (x >>> 23) & 0xff;
  let mant = x & 0x7fffff;
  if (exp === 0xff) return sign | 0x7c00 | (mant ? 0x200 : 0);
  let e = exp - 127 + 15;
  if (e >= 0x1f) return sign | 0x7c00;
  if (e <= 0) {
    if (e < -10) return sign;
    mant |= 0x800000;
    const shift = 14 - e;
    const half = 1 << (shift - 1);
    let m = mant >>> shift;
    const rest = mant & ((1 << shift) - 1);
    if (rest > half || (rest === half && (m & 1))) m++;
    return sign | m;
  }
  let m = mant >>> 13;
  const rest = mant & 0x1fff;
  if (rest > 0x1000 || (rest === 0x1000 && (m & 1))) {
    m++;
    if (m === 0x400) {
      m = 0;
      e++;
      if (e >= 0x1f) return sign | 0x7c00;
    }
  }
  return sign | (e << 10) | m;
}

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
