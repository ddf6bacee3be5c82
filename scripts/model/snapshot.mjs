// Saves a running training run's current model small enough to commit (float16 safetensors with transformers names,
// config and tokenizer; no ONNX graphs, no optimizer state), so that a lost machine does not lose the hours behind it:
// `cloze train … --from SNAPSHOT_DIR` continues from it (fresh Adam moments); `cloze fill` / `cloze eval --model SNAPSHOT_DIR` load it (an ONNX graph is built beside it on first use).
// usage: node scripts/model/snapshot.mjs RUN_DIR OUT_DIR   (after `npm run compile`)
import { cpSync, existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';

const require = createRequire(import.meta.url);
const root = path.resolve(path.dirname(new URL(import.meta.url).pathname), '..', '..');
const { loadCheckpoint } = require(path.join(root, 'out/src/train/checkpoint.js'));
const { configToHF } = require(path.join(root, 'out/src/train/model.js'));
const { encodeTransformersCheckpoint } = require(path.join(root, 'out/src/train/safetensorsExport.js'));

const [run, out] = process.argv.slice(2);
if (!run || !out) {
  console.error('usage: node scripts/model/snapshot.mjs RUN_DIR OUT_DIR');
  process.exit(2);
}
const ck = await loadCheckpoint(path.join(run, 'checkpoint.bin'));

mkdirSync(out, { recursive: true });
writeFileSync(path.join(out, 'model.safetensors'), encodeTransformersCheckpoint(ck.config, ck.params, 'F16'));
writeFileSync(path.join(out, 'config.json'), JSON.stringify(configToHF(ck.config), null, 2) + '\n');
for (const f of ['tokenizer.json', 'tokenizer_config.json', 'special_tokens_map.json']) {
  const src = path.join(ck.hyper.tokenizerDir, f);
  if (existsSync(src)) cpSync(src, path.join(out, f));
}
const { lr, warmup, decay, minLrRatio, totalSteps, seq, batch } = ck.hyper;
writeFileSync(path.join(out, 'snapshot.json'), JSON.stringify({ run: path.basename(path.resolve(run)), step: ck.step, plan: { totalSteps, lr, warmup, decay, minLrRatio, seq, batch } }, null, 2) + '\n');
writeFileSync(path.join(out, 'SNAPSHOT.md'), [
  `# Snapshot of ${path.basename(path.resolve(run))} at step ${ck.step} of ${ck.hyper.totalSteps}`,
  '',
  'Float16 weights (transformers names), config and tokenizer of a training run that was still going, committed so',
  'that a lost work folder does not lose the run. Continue with `cloze train <data> --from <this folder> …` (the',
  'optimizer moments are not kept: use a short warm-up). Written by `scripts/model/snapshot.mjs`.',
  '',
].join('\n'));
console.log(`step ${ck.step} of ${ck.hyper.totalSteps} → ${path.resolve(out)}`);
