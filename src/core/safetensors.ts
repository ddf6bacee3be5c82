// Reads and writes the safetensors format (Hugging Face's weight files), so models without ONNX can be imported and ours exported.
import { promises as fs } from 'node:fs';
import { ClozeError, errorText } from './errors';
import { fromHalfBits, toHalfBits } from './half';

/** Element types we convert to float32 (others are listed but cannot be read as weights). */
export type SafeDType = 'F32' | 'F16' | 'BF16' | 'F64';

const BYTES: Record<string, number> = { F64: 8, F32: 4, F16: 2, BF16: 2, I64: 8, I32: 4, I16: 2, I8: 1, U8: 1, BOOL: 1 };

export interface SafeTensorInfo {
  readonly dtype: string;
  readonly shape: readonly number[];
  /** Byte range [begin, end) within the data section. */
  readonly offsets: readonly [number, number];
}

export interface SafeTensorFile {
  readonly file: string;
  readonly tensors: ReadonlyMap<string, SafeTensorInfo>;
  readonly metadata: Readonly<Record<string, string>>;
  /** The tensor's values as float32 (F16 / BF16 / F64 converted), row-major in the file's (PyTorch) layout. */
  read(name: string): Float32Array;
}

/** A header over 100 MB is not a weight file (the format's own limit). */
const MAX_HEADER = 100_000_000;

function corrupt(file: string, why: string): ClozeError {
  return new ClozeError('model-corrupt', `${file} is not a valid safetensors file (${why}); the download may be incomplete — download the model again.`, why);
}

/** Parses a safetensors buffer: 8-byte little-endian header length, JSON header, then the tensor bytes. */
export function parseSafetensors(buf: Buffer, file = 'model.safetensors'): SafeTensorFile {
  if (buf.length < 8) throw corrupt(file, 'shorter than its 8-byte header length');
  const n = Number(buf.readBigUInt64LE(0));
  if (n > MAX_HEADER || 8 + n > buf.length) throw corrupt(file, `header length ${n} does not fit in ${buf.length} bytes`);
  let header: Record<string, unknown>;
  try {
    const v: unknown = JSON.parse(buf.subarray(8, 8 + n).toString('utf8'));
    if (typeof v !== 'object' || v === null || Array.isArray(v)) throw new Error('header is not a JSON object');
    header = v as Record<string, unknown>;
  } catch (e) {
    throw corrupt(file, errorText(e));
  }
  const data = buf.subarray(8 + n);
  const tensors = new Map<string, SafeTensorInfo>();
  let metadata: Record<string, string> = {};
  for (const [name, raw] of Object.entries(header)) {
    if (name === '__metadata__') {
      if (raw && typeof raw === 'object') metadata = Object.fromEntries(Object.entries(raw).filter(([, v]) => typeof v === 'string')) as Record<string, string>;
      continue;
    }
    const t = raw as { dtype?: unknown; shape?: unknown; data_offsets?: unknown };
    const shape = t.shape;
    const offsets = t.data_offsets;
    if (typeof t.dtype !== 'string' || !Array.isArray(shape) || !shape.every((d) => Number.isInteger(d) && d >= 0) || !Array.isArray(offsets) || offsets.length !== 2) {
      throw corrupt(file, `tensor ${name} has a malformed entry`);
    }
    const [begin, end] = offsets as number[];
    const size = BYTES[t.dtype];
    const count = (shape as number[]).reduce((a, b) => a * b, 1);
    if (!Number.isInteger(begin) || !Number.isInteger(end) || begin < 0 || end > data.length || end < begin) throw corrupt(file, `tensor ${name}'s bytes [${begin}, ${end}) lie outside the file`);
    if (size !== undefined && end - begin !== count * size) throw corrupt(file, `tensor ${name} has ${end - begin} bytes for ${t.dtype} [${(shape as number[]).join(', ')}]`);
    tensors.set(name, { dtype: t.dtype, shape: shape as number[], offsets: [begin, end] });
  }
  return {
    file,
    tensors,
    metadata,
    read(name: string): Float32Array {
      const info = tensors.get(name);
      if (!info) throw new ClozeError('model-corrupt', `${file} has no tensor ${name}.`);
      return toFloat32(data.subarray(info.offsets[0], info.offsets[1]), info.dtype, `${file}: ${name}`);
    },
  };
}

export async function readSafetensors(file: string): Promise<SafeTensorFile> {
  let buf: Buffer;
  try {
    buf = await fs.readFile(file);
  } catch (e) {
    throw new ClozeError('model-missing', `Cannot read ${file}: ${errorText(e)}.`, errorText(e));
  }
  return parseSafetensors(buf, file);
}

function toFloat32(bytes: Buffer, dtype: string, what: string): Float32Array {
  // Copy to an aligned buffer: offsets in the file need not be multiples of 4.
  const aligned = new Uint8Array(bytes.length);
  aligned.set(bytes);
  switch (dtype) {
    case 'F32':
      return new Float32Array(aligned.buffer);
    case 'F64':
      return Float32Array.from(new Float64Array(aligned.buffer));
    case 'F16': {
      const h = new Uint16Array(aligned.buffer);
      const out = new Float32Array(h.length);
      const table = new Float32Array(65536);
      for (let i = 0; i < 65536; i++) table[i] = fromHalfBits(i);
      for (let i = 0; i < h.length; i++) out[i] = table[h[i]];
      return out;
    }
    case 'BF16': {
      // bfloat16 is the top half of a float32.
      const h = new Uint16Array(aligned.buffer);
      const bits = new Uint32Array(h.length);
      for (let i = 0; i < h.length; i++) bits[i] = h[i] << 16;
      return new Float32Array(bits.buffer);
    }
    default:
      throw new ClozeError('model-corrupt', `${what} is stored as ${dtype}; Cloze reads float weights stored as F32, F16 or BF16.`);
  }
}

export interface SafeTensorOut {
  readonly shape: readonly number[];
  readonly data: Float32Array;
}

/**
 * A safetensors file of the tensors in name order (as the format's writers sort them), 8-byte aligned header, stored as
 * float32 or, for a snapshot half the size, float16 (rounded to nearest even).
 */
export function encodeSafetensors(tensors: ReadonlyMap<string, SafeTensorOut>, metadata: Record<string, string> = { format: 'pt' }, dtype: 'F32' | 'F16' = 'F32'): Buffer {
  const names = [...tensors.keys()].sort();
  const width = BYTES[dtype];
  const header: Record<string, unknown> = { __metadata__: metadata };
  let offset = 0;
  for (const name of names) {
    const t = tensors.get(name)!;
    const count = t.shape.reduce((a, b) => a * b, 1);
    if (count !== t.data.length) throw new Error(`tensor ${name}: ${t.data.length} values for shape [${t.shape.join(', ')}]`);
    header[name] = { dtype, shape: [...t.shape], data_offsets: [offset, offset + count * width] };
    offset += count * width;
  }
  let json = JSON.stringify(header);
  json += ' '.repeat((8 - ((8 + Buffer.byteLength(json)) % 8)) % 8);
  const head = Buffer.from(json, 'utf8');
  const out = Buffer.alloc(8 + head.length + offset);
  out.writeBigUInt64LE(BigInt(head.length), 0);
  head.copy(out, 8);
  let at = 8 + head.length;
  for (const name of names) {
    const d = tensors.get(name)!.data;
    if (dtype === 'F32') Buffer.from(d.buffer, d.byteOffset, d.byteLength).copy(out, at);
    else for (let i = 0; i < d.length; i++) out.writeUInt16LE(toHalfBits(d[i]), at + 2 * i);
    at += d.length * width;
  }
  return out;
}
