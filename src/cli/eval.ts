// `cloze eval`: masked-token accuracy and perplexity of a model on a folder's files, with a fixed seed so runs compare.
import { parseArgs } from 'node:util';
import { Engine } from '../core/engine';
import { ClozeError } from '../core/errors';
import { percent } from '../format';
import { collectCorpus } from '../train/corpus';
import { evaluateModel } from '../train/evaluate';
import { EVAL_SEED } from '../train/metrics';

const USAGE = `usage: cloze eval <dir-or-file…> --model DIR [--json] [--seed N] [--seq N] [--batch N] [--max-batches N] [--whole-word] [--threads N]

Masks 15% of the tokens of every text file (80% mask token / 10% random / 10% kept, fixed seed) and reports the
model's top-1 / top-5 accuracy and perplexity on them. --json prints
{ "top1", "top5", "perplexity", "masked_tokens", "files" }. With --whole-word (every token of a chosen word masked)
it adds "word_top1" (words with every token right), "word_loss" (nats per word) and "masked_words", which compare
across vocabularies.`;

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
    const { summary, tokens } = await evaluateModel(engine, corpus.files.map((f) => f.text), corpus.files.length, {
      seed, seq: int('seq', values.seq, 8), batch: int('batch', values.batch, 1), maxBatches, wholeWord: values['whole-word'],
    });
    if (values.json) {
      console.log(JSON.stringify(summary));
    } else {
      console.log(`${engine.info.name} on ${summary.files} files (${tokens.toLocaleString('en-US')} tokens, seed ${seed}):`);
      console.log(`  top-1 ${percent(summary.top1, 2)}   top-5 ${percent(summary.top5, 2)}   perplexity ${summary.perplexity.toFixed(2)}   (${summary.masked_tokens} masked tokens)`);
      if (summary.word_top1 !== undefined) console.log(`  whole words: top-1 ${percent(summary.word_top1, 2)}   loss ${summary.word_loss!.toFixed(3)} nats/word   (${summary.masked_words} masked words)`);
    }
    return 0;
  } finally {
    await engine.dispose();
  }
}
