// Per-channel activation maxima of a graph's weight-MatMul inputs on calibration text: what SmoothQuant scales by.
import * as ort from 'onnxruntime-node';
import type { FramingTokenizer } from '../../core/tokenizer';
import { MaskingCollator, defaultMaxMasked } from '../collator';
import { packDocuments } from '../packer';
import { Rng } from '../rng';
import { decodeModel, onnx } from './proto';
import { weightMatMulInputs } from './constants';

export interface CalibrationOptions {
  readonly seq?: number;
  /** Rows of calibration text to run (each `seq` tokens, 15% masked as in training). */
  readonly rows?: number;
  readonly seed?: number;
}

/** `graph` with every weight-MatMul input added as a graph output, and those inputs' names. */
export function exposeMatMulInputs(graph: Uint8Array): { graph: Uint8Array; names: string[] } {
  const model = decodeModel(graph);
  const names = weightMatMulInputs(model);
  const g = model.graph as onnx.IGraphProto;
  const declared = new Set((g.output ?? []).map((o) => o.name));
  for (const n of names) if (!declared.has(n)) g.output = [...(g.output ?? []), { name: n, type: { tensorType: { elemType: onnx.TensorProto.DataType.FLOAT } } }];
  return { graph: onnx.ModelProto.encode(model).finish(), names };
}

/**
 * Runs `graph` (an inference graph: input_ids, attention_mask and optionally mask_positions) on masked rows of `texts`
 * with every weight-MatMul input as an extra output, and returns max |x[…, j]| per last-axis channel j of each.
 */
export async function channelMaxima(graph: Uint8Array, tok: FramingTokenizer, texts: readonly string[], opts: CalibrationOptions = {}): Promise<Map<string, Float32Array>> {
  const exposed = exposeMatMulInputs(graph);
  const names = exposed.names;
  const session = await ort.InferenceSession.create(exposed.graph, { intraOpNumThreads: 2, interOpNumThreads: 1 });
  const seq = opts.seq ?? 128;
  const data = await packDocuments(tok, texts, seq);
  const collator = new MaskingCollator({ batch: 1, seq, maxMasked: defaultMaxMasked(1, seq), vocabSize: tok.vocabSize, maskTokenId: tok.maskId, specialIds: tok.specialIds });
  const rng = Rng.fromSeed(opts.seed ?? 1234);
  const maxima = new Map<string, Float32Array>();
  const atMasks = session.inputNames.includes('mask_positions');
  try {
    for (let r = 0; r < Math.min(data.count, opts.rows ?? 64); r++) {
      const b = collator.collate(data, [r], rng);
      const feeds: Record<string, ort.Tensor> = {
        input_ids: new ort.Tensor('int64', b.inputIds.slice(0, seq), [1, seq]),
        attention_mask: new ort.Tensor('int64', b.attentionMask.slice(0, seq), [1, seq]),
      };
      if (atMasks) feeds.mask_positions = new ort.Tensor('int64', b.maskedPositions.slice(0, b.maxMasked), [1, b.maxMasked]);
      const out = await session.run(feeds, names);
      for (const n of names) {
        const t = out[n];
        const dims = t.dims;
        const channels = dims[dims.length - 1];
        const v = t.data as Float32Array;
        let m = maxima.get(n);
        if (!m) maxima.set(n, (m = new Float32Array(channels)));
        for (let i = 0; i < v.length; i++) {
          const j = i % channels;
          const a = Math.abs(v[i]);
          if (a > m[j]) m[j] = a;
        }
      }
    }
  } finally {
    await session.release();
  }
  return maxima;
}
