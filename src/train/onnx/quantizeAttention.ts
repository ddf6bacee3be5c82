// int8 for the fused graph's Attention nodes (ORT's QAttention), whose packed Q/K/V weights quantize.ts cannot reach.
import { onnx } from 'onnx-proto';
import { constants } from './constants';
import { MS_DOMAIN } from './proto';

const DT = onnx.TensorProto.DataType;
/**
 * Rewrites every com.microsoft Attention whose weights are a constant matrix as
 *   DynamicQuantizeLinear(input) → QAttention(input_q, W_int8, bias, input_scale, W_scale[3H], mask, input_zp, W_zp[3H])
 * with W quantised symmetrically per output column (scale = max|W[:, c]| / 127, zero point 0), as quantize.ts does for
 * MatMuls. The Q/K/V projection then runs in int8 inside the kernel; the attention itself stays float. Returns the
 * number of nodes rewritten. Initializers nothing reads any more are dropped.
 */
export function quantizeAttention(model: onnx.IModelProto): number {
  const g = model.graph;
  if (!g?.node) return 0;
  const { constant } = constants(g);
  const out: onnx.INodeProto[] = [];
  const added: onnx.ITensorProto[] = [];
  let count = 0;
  for (const n of g.node) {
    const [x, wName, bias, mask] = n.input ?? [];
    const w = n.opType === 'Attention' && n.domain === MS_DOMAIN && x && wName ? constant(wName) : undefined;
    if (!w || (n.input ?? []).length > 4) {
      out.push(n);
      continue;
    }
    const { rows: K, cols: N, values } = w;
    const q = new Int8Array(K * N);
    const scales = new Float32Array(N);
    for (let c = 0; c < N; c++) {
      let m = 0;
      for (let r = 0; r < K; r++) m = Math.max(m, Math.abs(values[r * N + c]));
      const s = m > 0 ? m / 127 : 1;
      scales[c] = s;
      for (let r = 0; r < K; r++) q[r * N + c] = Math.max(-127, Math.min(127, Math.round(values[r * N + c] / s)));
    }
    const base = `${wName.replace(/__fp16$/, '')}__qattn${count}`;
    added.push(
      { name: `${base}_quantized`, dataType: DT.INT8, dims: [K, N], rawData: new Uint8Array(q.buffer) },
      { name: `${base}_scale`, dataType: DT.FLOAT, dims: [N], rawData: new Uint8Array(scales.buffer) },
      { name: `${base}_zero_point`, dataType: DT.INT8, dims: [N], rawData: new Uint8Array(N) },
    );
    const xq = [`${base}_input_quantized`, `${base}_input_scale`, `${base}_input_zero_point`];
    out.push({ opType: 'DynamicQuantizeLinear', name: `${base}_DynamicQuantizeLinear`, input: [x], output: xq });
    out.push({
      opType: 'QAttention',
      domain: MS_DOMAIN,
      name: `${base}_QAttention`,
      input: [xq[0], `${base}_quantized`, bias ?? '', xq[1], `${base}_scale`, mask ?? '', xq[2], `${base}_zero_point`],
      output: n.output,
      attribute: n.attribute,
    });
    count++;
  }
  if (!count) return 0;
  const used = new Set<string>((g.output ?? []).map((o) => o.name as string));
  // Casts of float16 weights that only the float Attention read go too.
  let nodes = out;
  for (let pass = 0; pass < 2; pass++) {
    const reads = new Set<string>(used);
    for (const n of nodes) for (const i of n.input ?? []) if (i) reads.add(i);
    nodes = nodes.filter((n) => n.opType !== 'Cast' || (n.output ?? []).some((o) => reads.has(o)));
  }
  for (const n of nodes) for (const i of n.input ?? []) if (i) used.add(i);
  const declared = new Set((g.input ?? []).map((i) => i.name as string));
  g.node = nodes;
  g.initializer = [...(g.initializer ?? []).filter((t) => used.has(t.name as string) || declared.has(t.name as string)), ...added];
  return count;
}
