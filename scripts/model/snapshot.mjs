// Saves a running training run's current model small enough to commit (float16 safetensors with transformers names,
// config and tokenizer; no ONNX graphs, no optimizer state), so that a lost machine does not lose the hours behind it:
// `cloze train … --from SNAPSHOT_DIR` continues from it (fresh Adam moments), `cloze export`/`fill` can load it.
// usage: node scripts/model/snapshot.mjs RUN_DIR OUT_DIR   (after `npm run compile`)
import { cpSync, existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';

const require = createRequire(import.meta.url);
const root = path.resolve(path.dirname(new URL(import.meta.url).pathname), '..', '..');
const { loadCheckpoint } = require(path.join(root, 'out/src/train/checkpoint.js'));
const { configToHF } = require(path.join(root, 'out/src/train/model.js'));
const { encodeTransformersCheckpoint } = require(path.join(root, 'out/src/train/safetensorsExport.js'));
const { toHalfBits } = require(path.join(root, 'out/src/train/onnx/halfWeights.js'));

const [run, out] = process.argv.slice(2);
if (!run || !out) {
  console.error('usage: node scripts/model/snapshot.mjs RUN_DIR OUT_DIR');
  process.exit(2);
}
const ck = await loadCheckpoint(path.join(run, 'checkpoint.bin'));

// The float32 file our exporter writes, re-encoded tensor by tensor as F16 (the header keeps names and shapes).
const f32 = encodeTransformersCheckpoint(ck.config, ck.params);
const headLen = Number(f32.readBigUInt64LE(0));
const header = JSON.parse(f32.subarray(8, 8 + headLen).toString('utf8'));
const names = Object.keys(header).filter((k) => k !== '__metadata__').sort((a, b) => header[a].data_offsets[0] - header[b].data_offsets[0]);
const halves = [];
let offset = 0;
for (const name of names) {
  const [from, to] = header[name].data_offsets;
  const floats = new Float32Array(f32.buffer.slice(f32.byteOffset + 8 + headLen + from, f32.byteOffset + 8 + headLen + to));
  const half = Buffer.alloc(floats.length * 2);
  for (let i = 0; i < floats.length; i++) half.writeUInt16LE(toHalfBits(floats[i]), 2 * i);
  header[name] = { dtype: 'F16', shape: header[name].shape, data_offsets: [offset, offset + half.length] };
  offset += half.length;
  halves.push(half);
}
let json = JSON.stringify(header);
json += ' '.repeat((8 - ((8 + Buffer.byteLength(json)) % 8)) % 8);
const size = Buffer.alloc(8);
size.writeBigUInt64LE(BigInt(Buffer.byteLength(json)));

mkdirSync(out, { recursive: true });
writeFileSync(path.join(out, 'model.safetensors'), Buffer.concat([size, Buffer.from(json, 'utf8'), ...halves]));
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
