// ONNX protobuf for the graphs we build: element types, tensors as raw little-endian bytes, model encode/decode
// (quantize.ts and halfWeights.ts rewrite existing graphs with onnx-proto directly).
import { endianness } from 'node:os';
import { onnx } from 'onnx-proto';

/** Element types the training graphs use. */
export type DType = 'float32' | 'float64' | 'int64' | 'int32' | 'bool';
export type FloatDType = 'float32' | 'float64';

/** A dimension: a fixed size, or a symbolic name such as `batch` (shared names mean equal sizes). */
export type Dim = number | string;

export type TensorData = Float32Array | Float64Array | BigInt64Array | Int32Array | Uint8Array;

const ELEM_TYPE: Record<DType, number> = {
  float32: onnx.TensorProto.DataType.FLOAT,
  float64: onnx.TensorProto.DataType.DOUBLE,
  int64: onnx.TensorProto.DataType.INT64,
  int32: onnx.TensorProto.DataType.INT32,
  bool: onnx.TensorProto.DataType.BOOL,
};

/** Opset of every graph we emit: Gelu (20), LayerNormalization (17), ScatterElements reduction (18). */
export const OPSET = 20;

/** The domain of ONNX Runtime's contrib ops (Attention, MatMulNBits, …). */
export const MS_DOMAIN = 'com.microsoft';
/** IR version 9 is the first that allows opset 20. */
export const IR_VERSION = 9;

// Typed arrays are written as raw_data, which ONNX defines as little-endian.
if (endianness() !== 'LE') throw new Error('ONNX raw tensor data is little-endian; this host is big-endian');

/** Typed array of the right kind for `dtype`, filled from plain numbers (or bigints for int64). */
export function typedArray(dtype: DType, values: ArrayLike<number> | ArrayLike<bigint>): TensorData {
  const n = values.length;
  switch (dtype) {
    case 'float32': return Float32Array.from(values as ArrayLike<number>, Number);
    case 'float64': return Float64Array.from(values as ArrayLike<number>, Number);
    case 'int32': return Int32Array.from(values as ArrayLike<number>, Number);
    case 'bool': return Uint8Array.from(values as ArrayLike<number>, (v) => (v ? 1 : 0));
    case 'int64': {
      const out = new BigInt64Array(n);
      for (let i = 0; i < n; i++) out[i] = BigInt(values[i] as number | bigint);
      return out;
    }
  }
}

export function tensorProto(name: string, dtype: DType, dims: readonly number[], data: TensorData): onnx.ITensorProto {
  const count = dims.reduce((a, b) => a * b, 1);
  if (data.length !== count) throw new Error(`tensor ${name}: ${data.length} values for shape [${dims.join(', ')}]`);
  return {
    name,
    dataType: ELEM_TYPE[dtype],
    dims: [...dims],
    rawData: new Uint8Array(data.buffer, data.byteOffset, data.byteLength),
  };
}

export function valueInfo(name: string, dtype?: DType, shape?: readonly Dim[]): onnx.IValueInfoProto {
  if (dtype === undefined) return { name };
  const dim = shape?.map((d) => (typeof d === 'number' ? { dimValue: d } : { dimParam: d }));
  return { name, type: { tensorType: { elemType: ELEM_TYPE[dtype], shape: dim ? { dim } : undefined } } };
}

export function encodeModel(graph: onnx.IGraphProto, producer = 'cloze'): Uint8Array {
  const model: onnx.IModelProto = {
    irVersion: IR_VERSION,
    opsetImport: [{ domain: '', version: OPSET }],
    producerName: producer,
    graph,
  };
  return onnx.ModelProto.encode(onnx.ModelProto.fromObject(model)).finish();
}

export function decodeModel(bytes: Uint8Array): onnx.ModelProto {
  return onnx.ModelProto.decode(bytes);
}

/** A float tensor's values as float32, whichever of raw_data / float_data / double_data holds them. */
export function floatTensorData(t: onnx.ITensorProto): Float32Array {
  const count = (t.dims ?? []).reduce<number>((a, b) => a * Number(b), 1);
  const type = t.dataType ?? 0;
  if (t.dataLocation === onnx.TensorProto.DataLocation.EXTERNAL) {
    throw new Error(`tensor ${t.name}: external data is not supported; re-export with weights inside model.onnx`);
  }
  if (type === onnx.TensorProto.DataType.FLOAT) {
    if (t.rawData && t.rawData.length > 0) {
      // Copy: the protobuf buffer may be unaligned and is shared with the whole model file.
      const bytes = new Uint8Array(t.rawData);
      return new Float32Array(bytes.buffer, 0, count);
    }
    return Float32Array.from(t.floatData ?? []);
  }
  if (type === onnx.TensorProto.DataType.DOUBLE) {
    if (t.rawData && t.rawData.length > 0) return Float32Array.from(new Float64Array(new Uint8Array(t.rawData).buffer, 0, count));
    return Float32Array.from(t.doubleData ?? []);
  }
  throw new Error(`tensor ${t.name}: element type ${type} is not a float type`);
}

export { onnx };
