// Splits the corpus shards into one file per document (the trainer's unit), writes the held-out documents by kind
// (code / technical prose / general English) and by language, a fixed sample of the training documents for the
// sweeps, and trains the byte-level BPE tokenizers.
// usage: node scripts/model/prepare.mjs [.corpus] [.model-work]   (after `npm run corpus` and `npm run compile`)
//   CLOZE_VOCABS=8192,16384,30000   tokenizer sizes (each in .model-work/tokenizer-N; the first also as tokenizer/)
//   CLOZE_SWEEP_MB=48               size of the sweep sample (.model-work/docs/sweep)
import { createHash } from 'node:crypto';
import { cpSync, existsSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { createRequire } from 'node:module';

const require = createRequire(import.meta.url);
const { trainByteLevelBpe } = require('../../out/src/train/tokenizerTrainer.js');

const corpus = path.resolve(process.argv[2] ?? '.corpus');
const work = path.resolve(process.argv[3] ?? '.model-work');
const VOCABS = (process.env.CLOZE_VOCABS ?? process.env.CLOZE_VOCAB ?? '8192').split(',').map(Number);
const SWEEP_BYTES = Number(process.env.CLOZE_SWEEP_MB ?? 48) * 1e6;
const t0 = Date.now();
const lap = (m) => console.log(`[${((Date.now() - t0) / 1000).toFixed(1)}s] ${m}`);
const sha = (s) => createHash('sha256').update(s).digest('hex');

const index = new Map();
for (const line of readFileSync(path.join(corpus, 'documents.jsonl'), 'utf8').trim().split('\n')) {
  const d = JSON.parse(line);
  index.set(d.sha256, d);
}

/** Writes each document of the shards in `from` as its own file in `to`; returns the documents with their file. */
function explode(from, to) {
  rmSync(to, { recursive: true, force: true });
  mkdirSync(to, { recursive: true });
  const out = [];
  if (!existsSync(from)) return out;
  let n = 0;
  for (const shard of readdirSync(from).filter((f) => f.endsWith('.txt')).sort()) {
    const docs = readFileSync(path.join(from, shard), 'utf8').split('\n\n\f\n').slice(0, -1);
    for (const d of docs) {
      const file = `${String(n++).padStart(6, '0')}.txt`;
      writeFileSync(path.join(to, file), d + '\n');
      out.push({ file, text: d, doc: index.get(sha(d)) });
    }
  }
  return out;
}

const train = explode(path.join(corpus, 'train'), path.join(work, 'docs', 'train'));
lap(`train documents: ${train.length}`);
rmSync(path.join(work, 'docs', 'valid-lang'), { recursive: true, force: true });
for (const kind of ['code', 'prose', 'english']) {
  const docs = explode(path.join(corpus, 'valid', kind), path.join(work, 'docs', 'valid', kind));
  // The same documents again, by language (for the card's per-language table).
  for (const { file, text, doc } of docs) {
    const lang = doc?.lang ?? 'unknown';
    const dir = path.join(work, 'docs', 'valid-lang', `${kind}-${lang}`);
    mkdirSync(dir, { recursive: true });
    writeFileSync(path.join(dir, file), text + '\n');
  }
  lap(`valid ${kind} documents: ${docs.length}`);
}

// The sweep sample: training documents in a fixed hash order until SWEEP_BYTES (the corpus mix, smaller).
const sweepDir = path.join(work, 'docs', 'sweep');
rmSync(sweepDir, { recursive: true, force: true });
mkdirSync(sweepDir, { recursive: true });
let bytes = 0;
let picked = 0;
for (const t of [...train].sort((a, b) => (sha(`sweep\0${a.file}`) < sha(`sweep\0${b.file}`) ? -1 : 1))) {
  if (bytes >= SWEEP_BYTES) break;
  cpSync(path.join(work, 'docs', 'train', t.file), path.join(sweepDir, t.file));
  bytes += Buffer.byteLength(t.text);
  picked++;
}
lap(`sweep sample: ${picked} documents, ${(bytes / 1e6).toFixed(1)} MB`);

for (const [k, vocab] of VOCABS.entries()) {
  const dir = path.join(work, `tokenizer-${vocab}`);
  const tok = trainByteLevelBpe([path.join(corpus, 'tokenizer-train.txt')], dir, { vocabSize: vocab, modelMaxLength: 510 });
  lap(`tokenizer: ${tok.vocabSize} tokens (${tok.merges} merges) in ${dir}`);
  if (k === 0) {
    rmSync(path.join(work, 'tokenizer'), { recursive: true, force: true });
    cpSync(dir, path.join(work, 'tokenizer'), { recursive: true });
  }
}
