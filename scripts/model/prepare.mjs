// Splits the corpus shards into one file per document (the trainer's unit), and trains the default tokenizer.
// usage: node scripts/model/prepare.mjs [.corpus] [.model-work]   (after `npm run corpus` and `npm run compile`)
import { mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { createRequire } from 'node:module';

const require = createRequire(import.meta.url);
const { trainByteLevelBpe } = require('../../out/src/train/tokenizerTrainer.js');

const corpus = path.resolve(process.argv[2] ?? '.corpus');
const work = path.resolve(process.argv[3] ?? '.model-work');
const VOCAB = Number(process.env.CLOZE_VOCAB ?? 8192);
const t0 = Date.now();
const lap = (m) => console.log(`[${((Date.now() - t0) / 1000).toFixed(1)}s] ${m}`);

function explode(from, to) {
  rmSync(to, { recursive: true, force: true });
  mkdirSync(to, { recursive: true });
  let n = 0;
  for (const shard of readdirSync(from).filter((f) => f.endsWith('.txt')).sort()) {
    const docs = readFileSync(path.join(from, shard), 'utf8').split('\n\n\f\n').slice(0, -1);
    for (const d of docs) writeFileSync(path.join(to, `${String(n++).padStart(6, '0')}.txt`), d + '\n');
  }
  return n;
}

lap(`train documents: ${explode(path.join(corpus, 'train'), path.join(work, 'docs', 'train'))}`);
for (const kind of ['code', 'prose']) lap(`valid ${kind} documents: ${explode(path.join(corpus, 'valid', kind), path.join(work, 'docs', 'valid', kind))}`);
const tok = trainByteLevelBpe([path.join(corpus, 'tokenizer-train.txt')], path.join(work, 'tokenizer'), { vocabSize: VOCAB, modelMaxLength: 510 });
lap(`tokenizer: ${tok.vocabSize} tokens (${tok.merges} merges) in ${path.join(work, 'tokenizer')}`);
