// Measures an int8 graph against its float32 original on held-out text: top-1 agreement, accuracy, logit error, speed.
import type { Engine } from '../core/engine';
import { ClozeError } from '../core/errors';
import { IGNORE_LABEL } from './batch';
import { MaskingCollator, defaultMaxMasked } from './collator';
import { EVAL_SEED } from './metrics';
import { packDocuments } from './packer';
import { Rng } from './rng';

export interface AgreementResult {
  /** Masked positions where both graphs' first choice (over the whole vocabulary) is the same token. */
  readonly agreement: number;
  /** Held-out top-1 accuracy of each graph on the same masks. */
  readonly top1Fp32: number;
  readonly top1Int8: number;
  /** Largest |logit_fp32 − logit_int8| over every vocabulary entry at every masked position. */
  readonly maxAbsLogitDelta: number;
  readonly maskedTokens: number;
}

export interface AgreementOptions {
  readonly seq?: number;
  readonly seed?: number;
  /** Stop after this many masked positions (the eval text is read in order). */
  readonly maxMasked?: number;
}

function argmax(data: Float32Array, offset: number, vocab: number): number {
  let best = 0;
  for (let v = 1; v < vocab; v++) if (data[offset + v] > data[offset + best]) best = v;
  return best;
}

/**
 * Masks 15% of the tokens of `texts` (80% mask token / 10% random / 10% kept, fixed seed — as `cloze eval`) and runs
 * both engines on the same rows, one row per run.
 */
export async function measureAgreement(fp32: Engine, int8: Engine, texts: readonly string[], opts: AgreementOptions = {}): Promise<AgreementResult> {
  const tok = fp32.tokenizer.framing();
  const seq = Math.min(opts.seq ?? 128, fp32.info.maxTokens);
  const data = await packDocuments(tok, texts, seq);
  const collator = new MaskingCollator({ batch: 1, seq, maxMasked: defaultMaxMasked(1, seq), vocabSize: tok.vocabSize, maskTokenId: tok.maskId, specialIds: tok.specialIds });
  const rng = Rng.fromSeed(opts.seed ?? EVAL_SEED);
  const limit = opts.maxMasked ?? Infinity;
  let n = 0, agree = 0, ok32 = 0, ok8 = 0, maxDelta = 0;
  for (let r = 0; r < data.count && n < limit; r++) {
    const b = collator.collate(data, [r], rng);
    const ids = [Array.from(b.inputIds.subarray(0, seq), Number)];
    const mask = [Array.from(b.attentionMask.subarray(0, seq), Number)];
    const a = await fp32.runBatch(ids, mask);
    const q = await int8.runBatch(ids, mask);
    const vocab = a.dims[a.dims.length - 1];
    if (q.dims[q.dims.length - 1] !== vocab) throw new ClozeError('model-inputs', `The int8 graph outputs ${q.dims[q.dims.length - 1]} logits per token and the float graph ${vocab}; they are not the same model. Run "cloze quantize" again.`);
    for (let j = 0; j < b.maxMasked && n < limit; j++) {
      if (b.labels[j] === IGNORE_LABEL) continue;
      const off = Number(b.maskedPositions[j]) * vocab;
      const label = Number(b.labels[j]);
      const t32 = argmax(a.data, off, vocab);
      const t8 = argmax(q.data, off, vocab);
      n++;
      if (t32 === t8) agree++;
      if (t32 === label) ok32++;
      if (t8 === label) ok8++;
      for (let v = 0; v < vocab; v++) maxDelta = Math.max(maxDelta, Math.abs(a.data[off + v] - q.data[off + v]));
    }
  }
  if (n === 0) throw new ClozeError('usage', 'The held-out text gave no masked tokens to compare; give more text with --eval.');
  return { agreement: agree / n, top1Fp32: ok32 / n, top1Int8: ok8 / n, maxAbsLogitDelta: maxDelta, maskedTokens: n };
}

export interface LatencyResult {
  /** Median fill time of each graph. */
  readonly fp32Ms: number;
  readonly int8Ms: number;
  /** Median over fills of fp32 time / int8 time for the same fill, taken back to back: above 1 = int8 is faster. */
  readonly speedup: number;
  readonly fills: number;
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
}

/**
 * Times `fillAt` on each document (with a mask put at its middle word) for both engines, interleaved and alternating
 * which goes first, so load on the machine falls on both alike. Warm-up fills are not counted.
 */
export async function measureLatency(fp32: Engine, int8: Engine, texts: readonly string[], rounds = 5, contextTokens = 256): Promise<LatencyResult> {
  const docs: { text: string; offset: number }[] = [];
  for (const t of texts) {
    const words = [...t.matchAll(/[A-Za-z_][A-Za-z0-9_]{2,}/g)];
    const w = words[words.length >> 1];
    if (!w || w.index === undefined) continue;
    docs.push({ text: t.slice(0, w.index) + '[MASK]' + t.slice(w.index + w[0].length), offset: w.index });
  }
  if (docs.length === 0) throw new ClozeError('usage', 'The held-out text has no words to mask for timing.');
  const time = async (e: Engine, d: { text: string; offset: number }): Promise<number> => {
    const t0 = process.hrtime.bigint();
    await e.fillAt(d.text, d.offset, { contextTokens });
    return Number(process.hrtime.bigint() - t0) / 1e6;
  };
  for (const d of docs.slice(0, 3)) {
    await time(fp32, d);
    await time(int8, d);
  }
  const a: number[] = [], q: number[] = [], ratios: number[] = [];
  for (let r = 0; r < rounds; r++) {
    for (let i = 0; i < docs.length; i++) {
      const first = (r + i) % 2 === 0;
      const t1 = await time(first ? fp32 : int8, docs[i]);
      const t2 = await time(first ? int8 : fp32, docs[i]);
      const [f, g] = first ? [t1, t2] : [t2, t1];
      a.push(f);
      q.push(g);
      ratios.push(f / g);
    }
  }
  return { fp32Ms: median(a), int8Ms: median(q), speedup: median(ratios), fills: ratios.length };
}
