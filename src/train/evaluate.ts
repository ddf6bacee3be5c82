// Masked-token accuracy and perplexity of a loaded model on texts, with a fixed seed so runs compare (`cloze eval`).
import type { Engine } from '../core/engine';
import { ClozeError } from '../core/errors';
import { IGNORE_LABEL } from './batch';
import { MaskingCollator, defaultMaxMasked } from './collator';
import { EVAL_SEED, MaskedLmMetrics, scoreLogitRows } from './metrics';
import { packDocuments } from './packer';
import { Rng } from './rng';

/** Logits for a batch are [batch, seq, vocab] floats; keep one batch's worth under ~128 MiB. */
const MAX_LOGIT_FLOATS = 32 * 1024 * 1024;

export interface EvalOptions {
  readonly seed?: number;
  /** Tokens per row (default min(128, the model's positions)); at least 8. */
  readonly seq?: number;
  /** Rows per run (default: as many as fit MAX_LOGIT_FLOATS, at most 8). */
  readonly batch?: number;
  readonly maxBatches?: number;
  /** Mask every token of a chosen word, and score words as well as tokens. */
  readonly wholeWord?: boolean;
}

export interface EvalSummary {
  top1: number;
  top5: number;
  perplexity: number;
  masked_tokens: number;
  files: number;
  /** With wholeWord: share of masked words with every token right, mean loss per word (nats), and their number. */
  word_top1?: number;
  word_loss?: number;
  masked_words?: number;
}

export interface Evaluation {
  readonly summary: EvalSummary;
  /** Real tokens read (framing included) and the seed used, for the report. */
  readonly tokens: number;
  readonly seed: number;
}

/**
 * Masks 15% of the tokens of `texts` (80% mask token / 10% random / 10% kept, fixed seed), runs `engine` on the rows
 * and scores its predictions at the masked positions. `files` is what the summary reports as the number of files.
 */
export async function evaluateModel(engine: Engine, texts: readonly string[], files: number, opts: EvalOptions = {}): Promise<Evaluation> {
  const seed = opts.seed ?? EVAL_SEED;
  const wholeWord = opts.wholeWord ?? false;
  const maxBatches = opts.maxBatches ?? Infinity;
  const tok = engine.tokenizer.framing();
  const seq = opts.seq ?? Math.min(128, engine.info.maxTokens);
  if (seq > engine.info.maxTokens) throw new ClozeError('usage', `--seq ${seq} is longer than the model's ${engine.info.maxTokens} positions.`);
  if (seq < 8) throw new ClozeError('model-corrupt', `${engine.info.name} allows only ${seq} tokens per sequence (max_position_embeddings / model_max_length in its config files); evaluation needs at least 8. The config files are probably damaged.`);
  const vocab = engine.info.vocabSize;
  const batch = opts.batch ?? Math.max(1, Math.min(8, Math.floor(MAX_LOGIT_FLOATS / (seq * vocab))));
  const data = await packDocuments(tok, texts, seq);
  const rng = Rng.fromSeed(seed);
  const metrics = new MaskedLmMetrics();
  const words: { ok: boolean; loss: number }[] = [];
  const collators = new Map<number, MaskingCollator>();
  const collatorFor = (b: number): MaskingCollator => {
    let c = collators.get(b);
    if (!c) {
      c = new MaskingCollator({
        batch: b, seq, maxMasked: defaultMaxMasked(b, seq, 0.15, wholeWord), vocabSize: tok.vocabSize,
        maskTokenId: tok.maskId, specialIds: tok.specialIds, wholeWord,
      });
      collators.set(b, c);
    }
    return c;
  };
  for (let start = 0, n = 0; start < data.count && n < maxBatches; start += batch, n++) {
    const rows = Array.from({ length: Math.min(batch, data.count - start) }, (_, j) => start + j);
    const b = collatorFor(rows.length).collate(data, rows, rng);
    // Each row without its padding, and the positions scored in it: the engine computes the vocabulary head only
    // there when the model has a head-at-masks graph (most of a full-logits run is the head at unscored positions).
    const ids = rows.map((row, r) => Array.from(b.inputIds.subarray(r * seq, r * seq + data.lengths[row]), Number));
    const positions: number[][] = rows.map(() => []);
    const picked: { row: number; j: number; label: number; p: number }[] = [];
    for (let k = 0; k < b.maxMasked; k++) {
      if (b.labels[k] === IGNORE_LABEL) continue;
      const p = Number(b.maskedPositions[k]);
      const r = Math.floor(p / seq);
      picked.push({ row: r, j: positions[r].length, label: Number(b.labels[k]), p });
      positions[r].push(p % seq);
    }
    const grid = await engine.logitsGrid(ids, positions);
    const v = grid.vocab;
    const scored = picked.map((t) => scoreLogitRows(grid.data(t.row), v, [{ offset: grid.offset(t.row, t.j), label: t.label }]));
    for (const sums of scored) metrics.add(sums);
    if (wholeWord) {
      // Words: runs of masked positions in one row, a new one at each word start. A word counts as right when
      // every one of its tokens is the model's first choice; its loss is the sum over its tokens. Unlike per-token
      // scores, these compare across vocabularies (the byte-level pre-tokenizer splits words alike for all sizes).
      const order = picked.map((t, k) => ({ p: t.p, k })).sort((x, y) => x.p - y.p);
      let prev = -2;
      let cur: { ok: boolean; loss: number } | undefined;
      for (const { p, k } of order) {
        const r = Math.floor(p / seq);
        const dataIdx = rows[r] * seq + (p % seq);
        const sums = scored[k];
        if (!cur || p !== prev + 1 || Math.floor(prev / seq) !== r || data.wordStart[dataIdx]) {
          if (cur) words.push(cur);
          cur = { ok: true, loss: 0 };
        }
        cur.ok = cur.ok && sums.top1 === 1;
        cur.loss += sums.lossSum;
        prev = p;
      }
      if (cur) words.push(cur);
    }
  }
  const r = metrics.result();
  const summary: EvalSummary = { top1: r.top1, top5: r.top5, perplexity: r.perplexity, masked_tokens: r.maskedTokens, files };
  if (wholeWord && words.length > 0) {
    summary.word_top1 = words.filter((w) => w.ok).length / words.length;
    summary.word_loss = words.reduce((a, w) => a + w.loss, 0) / words.length;
    summary.masked_words = words.length;
  }
  return { summary, tokens: data.tokens, seed };
}
