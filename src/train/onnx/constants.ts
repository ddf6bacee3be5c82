// The constant weight matrices of an ONNX graph (initializers, float16 behind a Cast, transposed), as float32: what the quantisers rewrite.
import { onnx } from 'onnx-proto';
import { fromHalfBits } from '../../core/half';

const DT = onnx.TensorProto.DataType;

/** A constant 2-D float matrix as row-major float32. */
export interface Matrix {
  readonly rows: number;
  readonly cols: number;
  readonly values: Float32Array;
}

export function attrInt(n: onnx.INodeProto, name: string, dflt: number): number {
  const a = n.attribute?.find((x) => x.name === name);
  return a?.i === undefined || a.i === null ? dflt : Number(a.i);
}

export function attrFloat(n: onnx.INodeProto, name: string, dflt: number): number {
  const a = n.attribute?.find((x) => x.name === name);
  return a?.f === undefined || a.f === null ? dflt : Number(a.f);
}

function rawBytes(t: onnx.ITensorProto): Uint8Array | undefined {
  if (!t.rawData || t.rawData.length === 0) return undefined;
  const r = t.rawData;
  // Copy: the protobuf buffer may be unaligned.
  return new Uint8Array(r.buffer.slice(r.byteOffset, r.byteOffset + r.byteLength));
}

/** Float values of a FLOAT or FLOAT16 initializer held inside the model (external data is not read). */
function tensorFloats(t: onnx.ITensorProto): Float32Array | undefined {
  if (t.dataLocation === onnx.TensorProto.DataLocation.EXTERNAL) return undefined;
  const raw = rawBytes(t);
  if (t.dataType === DT.FLOAT) return raw ? new Float32Array(raw.buffer) : Float32Array.from(t.floatData ?? []);
  if (t.dataType === DT.FLOAT16) {
    // Without raw_data, float16 values sit one per int32_data entry.
    const bits = raw ? new Uint16Array(raw.buffer) : Uint16Array.from(t.int32Data ?? []);
    const out = new Float32Array(bits.length);
    for (let i = 0; i < bits.length; i++) out[i] = fromHalfBits(bits[i]);
    return out;
  }
  return undefined;
}

export function transpose(m: Matrix): Matrix {
  const out = new Float32Array(m.values.length);
  for (let r = 0; r < m.rows; r++) for (let c = 0; c < m.cols; c++) out[c * m.rows + r] = m.values[r * m.cols + c];
  return { rows: m.cols, cols: m.rows, values: out };
}

/** Resolves the constant 2-D matrices of a graph: initializers, possibly behind Cast-to-float and a 2-D Transpose. */
export function constants(g: onnx.IGraphProto): { constant: (name: string) => Matrix | undefined } {
  const inits = new Map((g.initializer ?? []).filter((t) => t.name).map((t) => [t.name as string, t]));
  const producer = new Map<string, onnx.INodeProto>();
  for (const n of g.node ?? []) for (const o of n.output ?? []) producer.set(o, n);
  const constant = (name: string, depth = 0): Matrix | undefined => {
    const t = inits.get(name);
    if (t) {
      const dims = (t.dims ?? []).map(Number);
      if (dims.length !== 2) return undefined;
      const values = tensorFloats(t);
      return values && values.length === dims[0] * dims[1] ? { rows: dims[0], cols: dims[1], values } : undefined;
    }
    const p = producer.get(name);
    if (!p || depth > 3 || !p.input?.[0]) return undefined;
    if (p.opType === 'Cast' && attrInt(p, 'to', -1) === DT.FLOAT) return constant(p.input[0], depth + 1);
    if (p.opType === 'Transpose') {
      const perm = p.attribute?.find((a) => a.name === 'perm')?.ints?.map(Number);
      if (perm && !(perm.length === 2 && perm[0] === 1 && perm[1] === 0)) return undefined;
      const m = constant(p.input[0], depth + 1);
      return m && transpose(m);
    }
    return undefined;
  };
  return { constant: (name) => constant(name) };
}

/** The inputs (activations) of the graph's MatMuls / Gemms with a constant weight, each once. */
export function weightMatMulInputs(model: onnx.IModelProto): string[] {
  const g = model.graph;
  if (!g?.node) return [];
  const { constant } = constants(g);
  const xs = g.node.filter((n) => (n.opType === 'MatMul' || n.opType === 'Gemm') && n.input?.[1] && constant(n.input[1]) !== undefined).map((n) => n.input?.[0] as string);
  return [...new Set(xs)];
}
