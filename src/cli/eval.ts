// `cloze eval`: masked-token accuracy and perplexity of a model on a folder's files, with a fixed seed so runs compare.
import { percent } from '../protocol/format';
import { collectCorpus } from '../train/corpus';
import { evaluateModel } from '../train/evaluate';
import { EVAL_SEED } from '../train/metrics';
import { modelOfRunFolder } from '../train/runs';
import { commandRunner, numberOption, THREADS, usageError, type CommandSpec, type OptionSpec } from './options';
import { defaultModelDir } from './paths';
import { openModel } from '../train/modelSource';

export const SPEC = {
  name: 'eval',
  args: '<dir-or-file…>',
  positionals: { min: 1 },
  description: `Masks 15% of the tokens of every text file (80% mask token / 10% random / 10% kept, fixed seed) and reports the
model's top-1 / top-5 accuracy and perplexity on them. --json prints
{ "top1", "top5", "perplexity", "masked_tokens", "files" }. With --whole-word (every token of a chosen word masked)
it adds "word_top1" (words with every token right), "word_loss" (nats per word) and "masked_words", which compare
across vocabularies.`,
  options: {
    model: { type: 'string', arg: 'DIR|org/name', help: 'the model folder, Hub id, or a `cloze train --out` run folder', shown: 'the bundled model' },
    json: { type: 'boolean', help: 'print the scores as one JSON object' },
    seed: { type: 'string', arg: 'N', help: 'seed of the masking', shown: String(EVAL_SEED) },
    seq: { type: 'string', arg: 'N', help: 'tokens per row (≥ 8)', shown: 'min(128, the model\'s positions)' },
    batch: { type: 'string', arg: 'N', help: 'rows per model run', shown: 'up to 8, within 128 MiB of logits' },
    'max-batches': { type: 'string', arg: 'N', help: 'stop after N batches' },
    'whole-word': { type: 'boolean', help: 'mask whole words and also score words' },
    threads: THREADS,
    exclude: { type: 'string', arg: 'GLOB', multiple: true, help: 'leave out files matching GLOB' },
  },
} as const satisfies CommandSpec<Record<string, OptionSpec>>;

export const run = commandRunner(SPEC, async ({ values, positionals }) => {
  const seed = numberOption('seed', values.seed, { int: true, min: 0 }) ?? EVAL_SEED;
  const threads = numberOption('threads', values.threads, { int: true, min: 1 });
  const maxBatches = numberOption('max-batches', values['max-batches'], { int: true, min: 1 }) ?? Infinity;
  const seq = numberOption('seq', values.seq, { int: true, min: 8 });
  const batch = numberOption('batch', values.batch, { int: true, min: 1 });

  const corpus = await collectCorpus(positionals, { exclude: values.exclude });
  if (corpus.files.length === 0) throw usageError(`No text files to evaluate in ${positionals.join(', ')}.`);
  const engine = await openModel(await modelOfRunFolder(values.model ?? defaultModelDir()), { devices: ['cpu'], threads });
  try {
    const { summary, tokens } = await evaluateModel(engine, corpus.files.map((f) => f.text), corpus.files.length, {
      seed, seq, batch, maxBatches, wholeWord: values['whole-word'],
    });
    if (values.json) {
      console.log(JSON.stringify(summary));
    } else {
      console.log(`${engine.info.name} on ${summary.files} ${summary.files === 1 ? 'file' : 'files'} (${tokens.toLocaleString('en-US')} tokens, seed ${seed}):`);
      console.log(`  top-1 ${percent(summary.top1, 2)}   top-5 ${percent(summary.top5, 2)}   perplexity ${summary.perplexity.toFixed(2)}   (${summary.masked_tokens} masked tokens)`);
      if (summary.word_top1 !== undefined) console.log(`  whole words: top-1 ${percent(summary.word_top1, 2)}   loss ${summary.word_loss!.toFixed(3)} nats/word   (${summary.masked_words} masked words)`);
    }
    return 0;
  } finally {
    await engine.dispose();
  }
});
