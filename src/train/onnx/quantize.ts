// Dynamic int8 quantisation of an inference graph's weight MatMuls (per-output-channel weights), for faster CPU fills.
import { onnx } from 'onnx-proto';
import { blockQuantize } from './blockwise';
import { MS_DOMAIN } from './proto';
import { attrFloat, attrInt, constants, transpose, type Matrix } from './constants';

const DT = onnx.TensorProto.DataType;
const INT = onnx.AttributeProto.AttributeType.INT;

/** Weight storage: `int8` (symmetric, zero point 0, 255 levels) or `uint8` (asymmetric per column, 256 levels). */
export type WeightType = 'int8' | 'uint8';

export interface QuantizeOptions {
  /** int8 uses ORT's u8s8 kernels (exact on VNNI/AVX-512 CPUs); uint8 its u8u8 ones (exact on every x86 CPU). */
  readonly weightType?: WeightType;
  /**
   * Leave the MLM head in float: the decoder (the weight MatMul whose result reaches a graph output directly) and the
   * head's dense transform (the weight MatMul that feeds the decoder). Each alone moved top-1 on 1.6–2.3% of held-out
   * masks of models/default, and a head computed only at the masks costs next to nothing in float.
   */
  readonly keepHead?: boolean;
  /** Leave these in float too: weight names (as stored, without a `__fp16` suffix) or node names. */
  readonly keep?: readonly string[];
  /** One scale per weight matrix instead of one per output column (measured worse; kept for comparison). */
  readonly perTensor?: boolean;
  /** 7-bit weights (int8 in [-63, 63], uint8 in [0, 127]): what ORT suggests for CPUs without VNNI, where u8s8 may saturate. */
  readonly reduceRange?: boolean;
  /** int8: per column, the scale (max|W| × 0.5 … 1, clipping the largest weights) with the least squared rounding error. */
  readonly mseScale?: boolean;
  /**
   * Activation scales: `tensor` (default) one per MatMul input, ORT's DynamicQuantizeLinear (fused into one kernel);
   * `row` one per token row (symmetric, max|x| of the row / 127), written out as plain ops — an outlier in one token
   * then costs precision in that token only.
   */
  readonly activations?: 'tensor' | 'row';
  /**
   * Block-wise weights instead: each MatMul becomes ORT's com.microsoft MatMulNBits (weights in `bits`-bit codes with
   * one scale per `blockSize` inputs of each output column). With `accuracyLevel` 4 the CPU kernel quantises the
   * activations to int8 per block of each row too, so an outlier costs precision in its own block and row only.
   */
  readonly blockwise?: { readonly bits: 4 | 8; readonly blockSize: number; readonly accuracyLevel: number };
  /**
   * SmoothQuant: per input channel j of each quantised MatMul input x, s_j = a_j^alpha / w_j^(1−alpha) (a_j = max|x_j|
   * seen in calibration, `channelMax`; w_j = max|W[j, :]| over the MatMuls reading x); x / s is quantised and W's rows
   * are multiplied by s, so a channel whose activations are always large no longer sets the whole tensor's scale.
   */
  readonly smooth?: { readonly channelMax: ReadonlyMap<string, Float32Array>; readonly alpha: number };
}

export { weightMatMulInputs } from './constants';

/**
 * Symmetric scale for one output column's values `v`: max|v| / levels, or with `search` the one among
 * max|v| × {0.50, 0.52, …, 1} / levels whose rounding (clipped to ±levels) leaves the least squared error.
 */
export function symmetricScale(v: ArrayLike<number>, levels: number, search = false): number {
  let m = 0;
  for (let i = 0; i < v.length; i++) m = Math.max(m, Math.abs(v[i]));
  if (m === 0) return 1;
  if (!search) return m / levels;
  let best = m / levels, bestErr = Infinity;
  for (let k = 25; k <= 50; k++) {
    const s = (m * k) / 50 / levels;
    let err = 0;
    for (let i = 0; i < v.length; i++) {
      const d = v[i] - Math.max(-levels, Math.min(levels, Math.round(v[i] / s))) * s;
      err += d * d;
    }
    if (err < bestErr) {
      bestErr = err;
      best = s;
    }
  }
  return best;
}

export interface QuantizeReport {
  /** Weight names of the MatMuls / Gemms that now run in int8. */
  readonly quantized: string[];
  /** Weight MatMuls left in float, with why. */
  readonly kept: { readonly node: string; readonly reason: string }[];
}

/**
 * Symmetric per-row quantisation of `x` [rows, K] as uint8 around 128: scale [rows, 1] = max|x[row]| / 127 (a row of
 * zeros gets a tiny scale), q = round(x / scale) + 128, zero point 128 — what MatMulInteger's u8 kernels take.
 */
function rowQuantize(x: string, xq: { q: string; scale: string; zp: string }, fresh: (base: string) => string, inits: onnx.ITensorProto[]): onnx.INodeProto[] {
  const c = (name: string, dataType: number, dims: number[], raw: ArrayBufferView): string => {
    const n = fresh(name);
    inits.push({ name: n, dataType, dims, rawData: new Uint8Array(raw.buffer, raw.byteOffset, raw.byteLength) });
    return n;
  };
  const axes = c('axes', DT.INT64, [1], BigInt64Array.of(-1n));
  const levels = c('levels', DT.FLOAT, [], Float32Array.of(127));
  const tiny = c('tiny', DT.FLOAT, [], Float32Array.of(1e-30));
  const mid = c('mid', DT.FLOAT, [], Float32Array.of(128));
  inits.push({ name: xq.zp, dataType: DT.UINT8, dims: [], rawData: Uint8Array.of(128) });
  const [abs, max, clamped, scaled, rounded, shifted] = ['abs', 'max', 'clamped', 'scaled', 'rounded', 'shifted'].map((s) => fresh(`${x}_${s}`));
  return [
    { opType: 'Abs', name: fresh(`${x}_Abs`), input: [x], output: [abs] },
    { opType: 'ReduceMax', name: fresh(`${x}_ReduceMax`), input: [abs, axes], output: [max], attribute: [{ name: 'keepdims', type: INT, i: 1 }] },
    { opType: 'Max', name: fresh(`${x}_Max`), input: [max, tiny], output: [clamped] },
    { opType: 'Div', name: fresh(`${x}_scale`), input: [clamped, levels], output: [xq.scale] },
    { opType: 'Div', name: fresh(`${x}_Div`), input: [x, xq.scale], output: [scaled] },
    { opType: 'Round', name: fresh(`${x}_Round`), input: [scaled], output: [rounded] },
    { opType: 'Add', name: fresh(`${x}_Add`), input: [rounded, mid], output: [shifted] },
    { opType: 'Cast', name: fresh(`${x}_Cast`), input: [shifted], output: [xq.q], attribute: [{ name: 'to', type: INT, i: DT.UINT8 }] },
  ];
}

/**
 * Quantises `model` in place: every MatMul(x, W) and Gemm(x, W, bias) whose W is a constant 2-D float matrix (an
 * initializer, possibly float16 behind a Cast, possibly behind a 2-D Transpose) becomes
 *   DynamicQuantizeLinear(x) → MatMulInteger(xq, Wq, x_zp, W_zp) → Cast(float) → Mul(x_scale × W_scale[n]) (→ Add bias)
 * with one scale per output column. That chain is the pattern ONNX Runtime fuses into one DynamicQuantizeMatMul
 * kernel. Initializers and Casts the float MatMuls no longer use are dropped; everything else is left as it was.
 */
export function quantizeModel(model: onnx.IModelProto, opts: QuantizeOptions = {}): QuantizeReport {
  const g = model.graph;
  if (!g?.node) return { quantized: [], kept: [] };
  const weightType = opts.weightType ?? 'int8';
  const { constant } = constants(g);
  const consumers = new Map<string, onnx.INodeProto[]>();
  for (const n of g.node) for (const i of n.input ?? []) if (i) consumers.set(i, [...(consumers.get(i) ?? []), n]);
  const outputs = new Set((g.output ?? []).map((o) => o.name as string));

  const weightMatMuls = g.node.filter((n) => (n.opType === 'MatMul' || n.opType === 'Gemm') && n.input?.[1] && constant(n.input[1]) !== undefined);
  const weighted = new Set(weightMatMuls);
  /**
   * Follows `n`'s result forward through everything but weight MatMuls; true when `hit` accepts a value on the way
   * (or a consumer of one). The head and its dense transform are both found this way.
   */
  const reaches = (n: onnx.INodeProto, hit: (value: string, consumer?: onnx.INodeProto) => boolean): boolean => {
    const seen = new Set<string>();
    const stack = [...(n.output ?? [])];
    while (stack.length) {
      const v = stack.pop() as string;
      if (seen.has(v)) continue;
      seen.add(v);
      if (hit(v)) return true;
      for (const c of consumers.get(v) ?? []) {
        if (hit(v, c)) return true;
        if (!weighted.has(c)) stack.push(...(c.output ?? []));
      }
    }
    return false;
  };
  /** The head: its result reaches a graph output without passing through another weight MatMul. */
  const isHead = (n: onnx.INodeProto): boolean => reaches(n, (v, c) => c === undefined && outputs.has(v));
  /** The head's dense transform: its result reaches a decoder's input without passing through another weight MatMul. */
  const decoders = weightMatMuls.filter(isHead);
  const feedsDecoder = (n: onnx.INodeProto): boolean => reaches(n, (v, c) => c !== undefined && decoders.includes(c) && c.input?.[0] === v);

  const quantized: string[] = [];
  const kept: { node: string; reason: string }[] = [];
  const newInits: onnx.ITensorProto[] = [];
  const dql = new Map<string, { q: string; scale: string; zp: string }>();
  const out: onnx.INodeProto[] = [];
  let uid = 0;
  const fresh = (base: string) => `${base}__q${uid++}`;
  const smoothed = new Map<string, { s: Float32Array; input: string }>();
  /** x's smoothing factors and the node output that holds x / s (made once per x), or undefined without smoothing. */
  const smoothing = (x: string): { s: Float32Array; input: string } | undefined => {
    const a = opts.smooth?.channelMax.get(x);
    if (!opts.smooth || !a) return undefined;
    const done = smoothed.get(x);
    if (done) return done;
    const wmax = new Float32Array(a.length);
    for (const c of weightMatMuls) {
      if (c.input?.[0] !== x) continue;
      let m = constant(c.input?.[1] as string) as Matrix;
      if (c.opType === 'Gemm' && attrInt(c, 'transB', 0) !== 0) m = transpose(m);
      if (m.rows !== a.length) return undefined;
      for (let r = 0; r < m.rows; r++) for (let k = 0; k < m.cols; k++) wmax[r] = Math.max(wmax[r], Math.abs(m.values[r * m.cols + k]));
    }
    const s = new Float32Array(a.length);
    const inv = new Float32Array(a.length);
    for (let j = 0; j < a.length; j++) {
      s[j] = Math.pow(Math.max(a[j], 1e-5), opts.smooth.alpha) / Math.pow(Math.max(wmax[j], 1e-5), 1 - opts.smooth.alpha);
      inv[j] = 1 / s[j];
    }
    const invName = fresh(`${x}_smooth_inv`);
    newInits.push({ name: invName, dataType: DT.FLOAT, dims: [a.length], rawData: new Uint8Array(inv.buffer) });
    const input = fresh(`${x}_smoothed`);
    out.push({ opType: 'Mul', name: fresh(`${x}_smooth`), input: [x, invName], output: [input] });
    const r = { s, input };
    smoothed.set(x, r);
    return r;
  };

  for (const n of g.node) {
    if (!weighted.has(n)) {
      out.push(n);
      continue;
    }
    const label = n.name || n.output?.[0] || n.opType || '?';
    const x = n.input?.[0] as string;
    const wName = n.input?.[1] as string;
    let w = constant(wName) as Matrix;
    if (opts.keepHead && (decoders.includes(n) || feedsDecoder(n))) {
      kept.push({ node: label, reason: decoders.includes(n) ? 'vocabulary head kept in float' : "head's dense transform kept in float" });
      out.push(n);
      continue;
    }
    if (opts.keep && (opts.keep.includes(label) || opts.keep.includes(wName.replace(/__fp16$/, '')))) {
      kept.push({ node: label, reason: 'kept in float as asked' });
      out.push(n);
      continue;
    }
    let bias: string | undefined;
    if (n.opType === 'Gemm') {
      if (attrInt(n, 'transA', 0) !== 0 || attrFloat(n, 'alpha', 1) !== 1 || attrFloat(n, 'beta', 1) !== 1) {
        kept.push({ node: label, reason: 'Gemm with transA, alpha or beta' });
        out.push(n);
        continue;
      }
      if (attrInt(n, 'transB', 0) !== 0) w = transpose(w);
      bias = n.input?.[2] || undefined;
    }
    const K = w.rows;
    const N = w.cols;
    const smooth = smoothing(x);
    if (smooth) {
      const v = new Float32Array(w.values);
      for (let r = 0; r < K; r++) for (let c = 0; c < N; c++) v[r * N + c] *= smooth.s[r];
      w = { rows: K, cols: N, values: v };
    }
    if (opts.blockwise) {
      const { bits, blockSize, accuracyLevel } = opts.blockwise;
      const { packed, scales: bscales, blocks } = blockQuantize(w, bits, blockSize);
      const base = wName.replace(/__fp16$/, '');
      const wq = fresh(`${base}_blocks`);
      const ws = fresh(`${base}_block_scales`);
      newInits.push(
        { name: wq, dataType: DT.UINT8, dims: [N, blocks, (blockSize * bits) / 8], rawData: packed },
        { name: ws, dataType: DT.FLOAT, dims: [N, blocks], rawData: new Uint8Array(bscales.buffer) },
      );
      const y = n.output?.[0] as string;
      const unbiased = bias ? fresh(`${y}_unbiased`) : y;
      out.push({
        opType: 'MatMulNBits', domain: MS_DOMAIN, name: fresh(`${label}_MatMulNBits`), input: [smooth?.input ?? x, wq, ws], output: [unbiased],
        attribute: [
          { name: 'K', type: INT, i: K }, { name: 'N', type: INT, i: N }, { name: 'bits', type: INT, i: bits },
          { name: 'block_size', type: INT, i: blockSize }, { name: 'accuracy_level', type: INT, i: accuracyLevel },
        ],
      });
      if (bias) out.push({ opType: 'Add', name: fresh(`${label}_bias`), input: [unbiased, bias], output: [y] });
      quantized.push(base);
      continue;
    }
    // Per output column n. int8: symmetric, scale = max|W[:, n]| / 127, q = round(W / scale) in [-127, 127], zero
    // point 0. uint8: asymmetric over [min(0, W[:, n]), max(0, W[:, n])] in 255 steps, with its own zero point.
    const scales = new Float32Array(N);
    const zp = weightType === 'uint8' ? new Uint8Array(N) : new Int8Array(N);
    const q = weightType === 'uint8' ? new Uint8Array(K * N) : new Int8Array(K * N);
    const umax = opts.reduceRange ? 127 : 255;
    const smax = opts.reduceRange ? 63 : 127;
    const range = (c: number): [number, number] => {
      let lo = 0, hi = 0;
      for (let r = 0; r < K; r++) {
        const v = w.values[r * N + c];
        if (v < lo) lo = v;
        if (v > hi) hi = v;
      }
      return [lo, hi];
    };
    let whole: [number, number] | undefined;
    if (opts.perTensor) {
      whole = [0, 0];
      for (let c = 0; c < N; c++) {
        const [lo, hi] = range(c);
        whole = [Math.min(whole[0], lo), Math.max(whole[1], hi)];
      }
    }
    for (let c = 0; c < N; c++) {
      const [lo, hi] = whole ?? range(c);
      if (weightType === 'uint8') {
        const s = hi > lo ? (hi - lo) / umax : 1;
        const z = Math.max(0, Math.min(umax, Math.round(-lo / s)));
        scales[c] = s;
        zp[c] = z;
        for (let r = 0; r < K; r++) q[r * N + c] = Math.max(0, Math.min(umax, Math.round(w.values[r * N + c] / s) + z));
      } else {
        let s: number;
        if (opts.mseScale && !whole) {
          const col = new Float32Array(K);
          for (let r = 0; r < K; r++) col[r] = w.values[r * N + c];
          s = symmetricScale(col, smax, true);
        } else {
          const m = Math.max(-lo, hi);
          s = m > 0 ? m / smax : 1;
        }
        scales[c] = s;
        for (let r = 0; r < K; r++) q[r * N + c] = Math.max(-smax, Math.min(smax, Math.round(w.values[r * N + c] / s)));
      }
    }
    const qType = weightType === 'uint8' ? DT.UINT8 : DT.INT8;
    const base = wName.replace(/__fp16$/, '');
    const wq = fresh(`${base}_quantized`);
    const wzp = fresh(`${base}_zero_point`);
    const wscale = fresh(`${base}_scale`);
    newInits.push(
      { name: wq, dataType: qType, dims: [K, N], rawData: new Uint8Array(q.buffer) },
      { name: wzp, dataType: qType, dims: [N], rawData: new Uint8Array(zp.buffer) },
      { name: wscale, dataType: DT.FLOAT, dims: [N], rawData: new Uint8Array(scales.buffer) },
    );
    let xq = dql.get(x);
    if (!xq) {
      xq = { q: fresh(`${x}_quantized`), scale: fresh(`${x}_scale`), zp: fresh(`${x}_zero_point`) };
      dql.set(x, xq);
      const xs = smooth?.input ?? x;
      if (opts.activations === 'row') out.push(...rowQuantize(xs, xq, fresh, newInits));
      else out.push({ opType: 'DynamicQuantizeLinear', name: fresh(`${x}_DynamicQuantizeLinear`), input: [xs], output: [xq.q, xq.scale, xq.zp] });
    }
    const y = n.output?.[0] as string;
    const acc = fresh(`${y}_int32`);
    const accF = fresh(`${y}_float`);
    const scale = fresh(`${y}_scale`);
    const scaled = bias ? fresh(`${y}_unbiased`) : y;
    out.push(
      { opType: 'MatMulInteger', name: fresh(`${label}_MatMulInteger`), input: [xq.q, wq, xq.zp, wzp], output: [acc] },
      { opType: 'Cast', name: fresh(`${label}_Cast`), input: [acc], output: [accF], attribute: [{ name: 'to', type: INT, i: DT.FLOAT }] },
    );
    if (opts.activations === 'row') {
      // Row scales times column scales, applied one after the other: ORT's MatMulIntegerToFloat fusion (which would
      // take Mul(x_scale, W_scale) for a scalar activation scale) must not match this chain.
      out.push(
        { opType: 'Mul', name: fresh(`${label}_rowScale`), input: [accF, xq.scale], output: [scale] },
        { opType: 'Mul', name: fresh(`${label}_Mul`), input: [scale, wscale], output: [scaled] },
      );
    } else {
      out.push(
        { opType: 'Mul', name: fresh(`${label}_scales`), input: [xq.scale, wscale], output: [scale] },
        { opType: 'Mul', name: fresh(`${label}_Mul`), input: [accF, scale], output: [scaled] },
      );
    }
    if (bias) out.push({ opType: 'Add', name: fresh(`${label}_bias`), input: [scaled, bias], output: [y] });
    quantized.push(base);
  }

  // Drop what only the float MatMuls used: Casts / Transposes of weights, then initializers nothing reads.
  const usedBy = (nodes: onnx.INodeProto[]): Set<string> => {
    const used = new Set<string>([...outputs]);
    for (const n of nodes) for (const i of n.input ?? []) if (i) used.add(i);
    return used;
  };
  let nodes = out;
  for (let pass = 0; pass < 4; pass++) {
    const used = usedBy(nodes);
    const next = nodes.filter((n) => (n.opType !== 'Cast' && n.opType !== 'Transpose') || (n.output ?? []).some((o) => used.has(o)));
    if (next.length === nodes.length) break;
    nodes = next;
  }
  const used = usedBy(nodes);
  const declared = new Set((g.input ?? []).map((i) => i.name as string));
  g.node = nodes;
  if (opts.blockwise && !(model.opsetImport ?? []).some((o) => o.domain === MS_DOMAIN)) model.opsetImport = [...(model.opsetImport ?? []), { domain: MS_DOMAIN, version: 1 }];
  g.initializer = [...(g.initializer ?? []).filter((t) => used.has(t.name as string) || declared.has(t.name as string)), ...newInits];
  return { quantized, kept };
}
