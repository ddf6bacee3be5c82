// `cloze eval`: masked-token accuracy and perplexity of a model on a folder's files, with a fixed seed so runs compare.
import { parseArgs } from 'node:util';
import { Engine } from '../core/engine';
import { ClozeError } from '../core/errors';
import { MaskingCollator, defaultMaxMasked } from '../train/collator';
import { collectCorpus } from '../train/corpus';
import { EVAL_SEED, MaskedLmMetrics, scoreLogitRows } from '../train/metrics';
import { packDocuments } from '../train/packer';
import { Rng } from '../train/rng';
import { IGNORE_LABEL } from '../train/batch';

const USAGE = `usage: cloze eval <dir-or-file…> --model DIR [--json] [--seed N] [--seq N] [--batch N] [--max-batches N] [--whole-word] [--threads N]

Masks 15% of the tokens of every text file (80% mask token / 10% random / 10% kept, fixed seed) and reports the
model's top-1 / top-5 accuracy and perplexity on them. --json prints
{ "top1", "top5", "perplexity", "masked_tokens", "files" }. With --whole-word (every token of a chosen word masked)
it adds "word_top1" (words with every token right), "word_loss" (nats per word) and "masked_words", which compare
across vocabularies.`;

/** Logits for a batch are [batch, seq, vocab] floats; keep one batch's worth under ~128 MiB. */
const MAX_LOGIT_FLOATS = 32 * 1024 * 1024;

export interface EvalSummary {
  top1: number;
  top5: number;
  perplexity: number;
  masked_tokens: number;
  files: number;
  /** With --whole-word: share of masked words with every token right, mean loss per word (nats), and their number. */
  word_top1?: number;
  word_loss?: number;
  masked_words?: number;
}

export async function run(argv: string[]): Promise<number> {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: {
      model: { type: 'string' },
      json: { type: 'boolean', default: false },
      seed: { type: 'string', default: String(EVAL_SEED) },
      seq: { type: 'string' },
      batch: { type: 'string' },
      'max-batches': { type: 'string' },
      'whole-word': { type: 'boolean', default: false },
      threads: { type: 'string' },
      exclude: { type: 'string', multiple: true },
      help: { type: 'boolean', short: 'h', default: false },
    },
  });
  if (values.help) {
    console.log(USAGE);
    return 0;
  }
  if (positionals.length === 0 || !values.model) {
    console.error(USAGE);
    return 2;
  }
  const int = (flag: string, raw: string | undefined, min: number): number | undefined => {
    if (raw === undefined) return undefined;
    const n = Number(raw);
    if (!Number.isInteger(n) || n < min) throw new ClozeError('inference', `--${flag} must be an integer ≥ ${min}, not "${raw}".`);
    return n;
  };
  const seed = int('seed', values.seed, 0) ?? EVAL_SEED;
  const threads = int('threads', values.threads, 1);
  const maxBatches = int('max-batches', values['max-batches'], 1) ?? Infinity;

  const corpus = await collectCorpus(positionals, { exclude: values.exclude });
  if (corpus.files.length === 0) throw new ClozeError('document-skipped', `No text files to evaluate in ${positionals.join(', ')}.`);
  const engine = await Engine.load(values.model, { devices: ['cpu'], threads });
  try {
    const tok = engine.tokenizer.framing();
    const seq = int('seq', values.seq, 8) ?? Math.min(128, engine.info.maxTokens);
    if (seq > engine.info.maxTokens) throw new ClozeError('inference', `--seq ${seq} is longer than the model's ${engine.info.maxTokens} positions.`);
    if (seq < 8) throw new ClozeError('inference', `${engine.info.name} allows only ${seq} tokens per sequence (max_position_embeddings / model_max_length in its config files); evaluation needs at least 8. The config files are probably damaged.`);
    const vocab = engine.info.vocabSize;
    const batch = int('batch', values.batch, 1) ?? Math.max(1, Math.min(8, Math.floor(MAX_LOGIT_FLOATS / (seq * vocab))));
    const data = await packDocuments(tok, corpus.files.map((f) => f.text), seq);
    const rng = Rng.fromSeed(seed);
    const metrics = new MaskedLmMetrics();
    const words: { ok: boolean; loss: number }[] = [];
    const collators = new Map<number, MaskingCollator>();
    const collatorFor = (b: number): MaskingCollator => {
      let c = collators.get(b);
      if (!c) {
        c = new MaskingCollator({
          batch: b, seq, maxMasked: defaultMaxMasked(b, seq, 0.15, values['whole-word']), vocabSize: tok.vocabSize,
          maskTokenId: tok.maskId, specialIds: tok.specialIds, wholeWord: values['whole-word'],
        });
        collators.set(b, c);
      }
      return c;
    };
    for (let start = 0, n = 0; start < data.count && n < maxBatches; start += batch, n++) {
      const rows = Array.from({ length: Math.min(batch, data.count - start) }, (_, j) => start + j);
      const b = collatorFor(rows.length).collate(data, rows, rng);
      const ids: number[][] = [];
      const mask: number[][] = [];
      for (let r = 0; r < rows.length; r++) {
        ids.push(Array.from(b.inputIds.subarray(r * seq, (r + 1) * seq), Number));
        mask.push(Array.from(b.attentionMask.subarray(r * seq, (r + 1) * seq), Number));
      }
      const { data: logits, dims } = await engine.runBatch(ids, mask);
      const v = dims[dims.length - 1];
      const targets: { offset: number; label: number }[] = [];
      const flat: number[] = [];
      for (let j = 0; j < b.maxMasked; j++) {
        if (b.labels[j] === IGNORE_LABEL) continue;
        targets.push({ offset: Number(b.maskedPositions[j]) * v, label: Number(b.labels[j]) });
        flat.push(Number(b.maskedPositions[j]));
      }
      metrics.add(scoreLogitRows(logits, v, targets));
      if (values['whole-word']) {
        // Words: runs of masked positions in one row, a new one at each word start. A word counts as right when
        // every one of its tokens is the model's first choice; its loss is the sum over its tokens. Unlike per-token
        // scores, these compare across vocabularies (the byte-level pre-tokenizer splits words alike for all sizes).
        const order = flat.map((p, k) => ({ p, k })).sort((x, y) => x.p - y.p);
        let prev = -2;
        let cur: { ok: boolean; loss: number } | undefined;
        for (const { p, k } of order) {
          const r = Math.floor(p / seq);
          const dataIdx = rows[r] * seq + (p % seq);
          const sums = scoreLogitRows(logits, v, [targets[k]]);
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
    const summary: EvalSummary = { top1: r.top1, top5: r.top5, perplexity: r.perplexity, masked_tokens: r.maskedTokens, files: corpus.files.length };
    if (values['whole-word'] && words.length > 0) {
      summary.word_top1 = words.filter((w) => w.ok).length / words.length;
      summary.word_loss = words.reduce((a, w) => a + w.loss, 0) / words.length;
      summary.masked_words = words.length;
    }
    if (values.json) {
      console.log(JSON.stringify(summary));
    } else {
      console.log(`${engine.info.name} on ${summary.files} files (${data.tokens.toLocaleString('en-US')} tokens, seed ${seed}):`);
      console.log(`  top-1 ${(100 * r.top1).toFixed(2)}%   top-5 ${(100 * r.top5).toFixed(2)}%   perplexity ${r.perplexity.toFixed(2)}   (${r.maskedTokens} masked tokens)`);
      if (summary.word_top1 !== undefined) console.log(`  whole words: top-1 ${(100 * summary.word_top1).toFixed(2)}%   loss ${summary.word_loss!.toFixed(3)} nats/word   (${summary.masked_words} masked words)`);
    }
    return 0;
  } finally {
    await engine.dispose();
  }
}
