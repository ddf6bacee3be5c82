// Packs a finished training run as models/default: float16 weights (folded to float32 at load), the head-at-masks
// variant, the tokenizer; evaluates it on the held-out code and prose and on the small subset CI re-checks.
// usage: node scripts/model/finalize.mjs RUN_DIR [--provisional] [--version N]   (after `npm run build && npm run compile`)
// Before anything is written, the run's model and the shipped one are scored on every held-out slice (code,
// technical prose, general English); the run replaces models/default only if it is better on all of them.
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { cpSync, existsSync, mkdirSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';

const require = createRequire(import.meta.url);
const root = path.resolve(path.dirname(new URL(import.meta.url).pathname), '..', '..');
const { importModel } = require(path.join(root, 'out/src/train/import.js'));
const { exportModel } = require(path.join(root, 'out/src/train/export.js'));
const { halveWeights } = require(path.join(root, 'out/src/train/onnx/halfWeights.js'));
const { onnx } = require('onnx-proto');

const run = path.resolve(process.argv[2] ?? '.model-work/main');
// 'release' once the model meets the sanity bar of test/unit/defaultModel.test.ts; until then 'provisional'.
const status = process.argv.includes('--provisional') ? 'provisional' : 'release';
const versionArg = process.argv.indexOf('--version');
const version = versionArg > 0 ? Number(process.argv[versionArg + 1]) : 2;
const work = path.resolve(root, '.model-work');
const out = path.join(root, 'models', 'default');
const subsetDir = path.join(root, 'test', 'fixtures', 'default-eval');
const SUBSET_BYTES = 160_000;

const t0 = Date.now();
const lap = (m) => console.log(`[${((Date.now() - t0) / 1000).toFixed(1)}s] ${m}`);

// 0. The gate: the run's model against the shipped one, on every held-out slice present.
const KINDS = ['code', 'prose', 'english'].filter((k) => existsSync(path.join(work, 'docs', 'valid', k)) && readdirSync(path.join(work, 'docs', 'valid', k)).length > 0);
const evalDir = (dir, model) => {
  const r = spawnSync(process.execPath, [path.join(root, 'dist', 'cli.js'), 'eval', dir, '--model', model, '--seq', '256', '--json'], { encoding: 'utf8', maxBuffer: 1 << 26 });
  if (r.status !== 0) throw new Error(r.stderr);
  return JSON.parse(r.stdout);
};
const shippedCard = JSON.parse(readFileSync(path.join(out, 'eval.json'), 'utf8'));
const before = Object.fromEntries(KINDS.map((k) => [k, evalDir(path.join(work, 'docs', 'valid', k), out)]));
const candidate = Object.fromEntries(KINDS.map((k) => [k, evalDir(path.join(work, 'docs', 'valid', k), path.join(run, 'model'))]));
for (const k of KINDS) lap(`${k}: shipped top-1 ${(100 * before[k].top1).toFixed(2)}%, run ${(100 * candidate[k].top1).toFixed(2)}%`);
writeFileSync(path.join(work, 'finalize-gate.json'), JSON.stringify({ run, shipped: before, candidate }, null, 2) + '\n');
const worse = KINDS.filter((k) => !(candidate[k].top1 > before[k].top1));
if (worse.length > 0 && !process.argv.includes('--force')) {
  console.error(`not better than the shipped model on: ${worse.join(', ')}; models/default left as it is (scores in .model-work/finalize-gate.json)`);
  process.exit(1);
}

// 1. Export afresh from the run's weights, then store the large tensors as float16.
const { config, params } = await importModel(path.join(run, 'model'));
const tmp = path.join(work, 'finalize-tmp');
rmSync(tmp, { recursive: true, force: true });
await exportModel(tmp, config, params, path.join(run, 'model'), { maskedVariant: true });
for (const [from, to] of [['model.onnx', 'model.onnx'], ['onnx/model_masked.onnx', 'onnx/model_masked.onnx']]) {
  const m = onnx.ModelProto.decode(readFileSync(path.join(tmp, from)));
  const n = halveWeights(m);
  const bytes = onnx.ModelProto.encode(m).finish();
  mkdirSync(path.dirname(path.join(tmp, 'half', to)), { recursive: true });
  writeFileSync(path.join(tmp, 'half', to), bytes);
  lap(`${to}: ${n} tensors to float16, ${(bytes.length / 1e6).toFixed(1)} MB`);
}
const keep = ['config.json', 'tokenizer.json', 'tokenizer_config.json', 'special_tokens_map.json'];
for (const f of readdirSync(out, { withFileTypes: true })) {
  if (f.isFile() && /\.(json|onnx)$/.test(f.name) && f.name !== 'eval.json') rmSync(path.join(out, f.name));
}
rmSync(path.join(out, 'onnx'), { recursive: true, force: true });
mkdirSync(path.join(out, 'onnx'), { recursive: true });
for (const f of keep) cpSync(path.join(tmp, f), path.join(out, f));
cpSync(path.join(tmp, 'half', 'model.onnx'), path.join(out, 'model.onnx'));
cpSync(path.join(tmp, 'half', 'onnx', 'model_masked.onnx'), path.join(out, 'onnx', 'model_masked.onnx'));
lap(`wrote ${out}`);

// 2. The CI subset: the first held-out documents (in order) up to SUBSET_BYTES per kind, with their sources.
const docs = readFileSync(path.join(root, '.corpus', 'documents.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l));
const bySha = new Map(docs.map((d) => [d.sha256, d]));
const sources = [];
rmSync(subsetDir, { recursive: true, force: true });
for (const kind of KINDS) {
  const from = path.join(work, 'docs', 'valid', kind);
  mkdirSync(path.join(subsetDir, kind), { recursive: true });
  let bytes = 0;
  for (const f of readdirSync(from).sort()) {
    const text = readFileSync(path.join(from, f), 'utf8');
    if (bytes + text.length > SUBSET_BYTES) continue;
    const sha = (s) => createHash('sha256').update(s).digest('hex');
    const doc = bySha.get(sha(text)) ?? bySha.get(sha(text.replace(/\n$/, '')));
    if (!doc) continue; // only documents whose source we can name
    bytes += text.length;
    writeFileSync(path.join(subsetDir, kind, f), text);
    sources.push(`| ${kind} | ${f} | ${doc.source} | ${doc.path} |`);
  }
  lap(`subset ${kind}: ${bytes} bytes`);
}
const manifest = JSON.parse(readFileSync(path.join(root, '.corpus', 'manifest.json'), 'utf8'));
writeFileSync(path.join(subsetDir, 'README.md'), [
  '# Held-out sample for the default model',
  '',
  'A few held-out documents of the default model\'s corpus (never trained on), so CI can re-run `cloze eval` and',
  'compare with `models/default/eval.json`. Written by `scripts/model/finalize.mjs`; licences of the sources are in',
  '`models/default/DATA.md`.',
  '',
  '| kind | file | source package | path in the package |',
  '| --- | --- | --- | --- |',
  ...sources,
  '',
].join('\n'));
void manifest;

// 3. Scores: the full held-out sets and the subset, with the CLI users run.
const evalJson = (dir) => {
  const r = spawnSync(process.execPath, [path.join(root, 'dist', 'cli.js'), 'eval', dir, '--model', out, '--seq', '256', '--json'], { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(r.stderr);
  return JSON.parse(r.stdout);
};
const scores = {
  heldOut: Object.fromEntries(KINDS.map((k) => [k, evalJson(path.join(work, 'docs', 'valid', k))])),
  ciSubset: Object.fromEntries(KINDS.map((k) => [k, evalJson(path.join(subsetDir, k))])),
  // The model it replaced, on the same held-out sets (the card's "before" column).
  previous: before,
  // v1 on the same held-out sets, kept through provisional releases: issue 10's bar is set against v1, not against
  // whichever v2 snapshot shipped last.
  baseline: shippedCard.baseline ?? { version: shippedCard.version ?? 1, heldOut: before },
};
// `run`: which run (and so which phase of train-v2.sh) this release is, so a machine without checkpoints knows where to go on from.
writeFileSync(path.join(out, 'eval.json'), JSON.stringify({ status, version, run: path.basename(run), ...scores }, null, 2) + '\n');
lap(`scores: ${JSON.stringify(scores)}`);
const size = ['model.onnx', 'onnx/model_masked.onnx', 'tokenizer.json'].reduce((s, f) => s + statSync(path.join(out, f)).size, 0);
lap(`models/default: ${(size / 1e6).toFixed(1)} MB`);
