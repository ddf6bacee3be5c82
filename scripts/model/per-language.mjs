// Scores models on every held-out slice by language and kind of prose (.model-work/docs/valid-lang, written by
// prepare.mjs), for the card's per-language table: the same `cloze eval` users run, at the 256-token window.
// usage: [THREADS=N] node scripts/model/per-language.mjs OUT.json [--whole-word] LABEL=MODEL_DIR [...]   (after `npm run build`)
// --whole-word: every token of a chosen word masked, scored per word (comparable across vocabularies).
// Prints a Markdown table (top-1 per model, and the difference of the last model to the first) and writes every score.
import { spawnSync } from 'node:child_process';
import { readdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';

const root = path.resolve(path.dirname(new URL(import.meta.url).pathname), '..', '..');
const args = process.argv.slice(2);
const wholeWord = args.includes('--whole-word');
const [outFile, ...specs] = args.filter((a) => a !== '--whole-word');
const models = specs.map((s) => /^(.+?)=(.+)$/.exec(s)).filter(Boolean).map((m) => ({ label: m[1], dir: path.resolve(m[2]) }));
if (!outFile || models.length === 0 || models.length !== specs.length) {
  console.error('usage: node scripts/model/per-language.mjs OUT.json LABEL=MODEL_DIR [...]');
  process.exit(2);
}
const pct = (x) => `${(100 * x).toFixed(1)}%`;
const top1 = (r) => (wholeWord ? r.word_top1 : r.top1);
const slices = path.join(root, '.model-work', 'docs', 'valid-lang');
// One thread by default, so a measurement beside a training run stays out of its way; THREADS=2 on a quiet machine.
const threads = process.env.THREADS ?? '1';
const scores = {};
for (const slice of readdirSync(slices).sort()) {
  scores[slice] = {};
  for (const { label, dir } of models) {
    const r = spawnSync('nice', ['-n', '19', process.execPath, path.join(root, 'dist', 'cli.js'), 'eval', path.join(slices, slice), '--model', dir, '--seq', '256', '--threads', threads, '--json', ...(wholeWord ? ['--whole-word'] : [])], { encoding: 'utf8', maxBuffer: 1 << 26 });
    if (r.status !== 0) throw new Error(`${slice} with ${label}: ${r.stderr}`);
    scores[slice][label] = JSON.parse(r.stdout);
  }
  console.error(`${slice}: ${models.map(({ label }) => `${label} ${(100 * top1(scores[slice][label])).toFixed(1)}%`).join(', ')}`);
}
writeFileSync(outFile, JSON.stringify({ models, scores }, null, 2) + '\n');

const first = models[0].label;
const last = models[models.length - 1].label;
console.log(`| slice | files | masked ${wholeWord ? 'words' : 'tokens'} | ${models.map((m) => `${m.label} ${wholeWord ? 'word ' : ''}top-1`).join(' | ')} | ${last} − ${first} |`);
console.log(`| --- | ---: | ---: | ${models.map(() => '---:').join(' | ')} | ---: |`);
for (const [slice, by] of Object.entries(scores)) {
  const s = by[last];
  const diff = 100 * (top1(by[last]) - top1(by[first]));
  console.log(`| ${slice} | ${s.files} | ${(wholeWord ? s.masked_words : s.masked_tokens).toLocaleString('en-US')} | ${models.map((m) => pct(top1(by[m.label]))).join(' | ')} | ${diff >= 0 ? '+' : '−'}${Math.abs(diff).toFixed(1)} |`);
}
