// Makes a model one layer deeper by adding a near-identity layer on top, so that a larger default model can continue
// from the trained one instead of starting from random init (which would cost this machine's whole budget again).
// The new layer is a copy of the last one with its two residual branches' output projections zeroed and its first
// LayerNorm given the last layer's output LayerNorm; a post-LN layer whose branches add nothing then only normalises
// again what is already normalised, which is close to the identity because those LayerNorms' gains are near uniform.
// Measured on models/default (test/fixtures/default-eval at 256 tokens, code / prose / English top-1): 69.4 / 53.8 /
// 50.3% before; 68.6 / 52.6 / 49.2% with this layer; 57.9 / 42.4 / 38.9% with a plain copy of the last layer on top
// (progressive stacking), 38–43% on code with a copy of an inner layer inserted after it.
// usage: node scripts/model/grow-depth.mjs MODEL_DIR OUT_DIR   (after `npm run compile`)
import { createRequire } from 'node:module';
import path from 'node:path';

const require = createRequire(import.meta.url);
const root = path.resolve(path.dirname(new URL(import.meta.url).pathname), '..', '..');
const { importModel } = require(path.join(root, 'out/src/train/import.js'));
const { exportModel } = require(path.join(root, 'out/src/train/export.js'));
const { layerParams } = require(path.join(root, 'out/src/train/model.js'));

const [from, out] = process.argv.slice(2);
if (!from || !out) {
  console.error('usage: node scripts/model/grow-depth.mjs MODEL_DIR OUT_DIR');
  process.exit(2);
}
const { config, params } = await importModel(path.resolve(from));
const L = config.layers;
const last = layerParams(L - 1);
const added = layerParams(L);
for (const k of Object.keys(last)) params.set(added[k], new Float32Array(params.get(last[k])));
for (const k of ['attnOutWeight', 'attnOutBias', 'ffnOutWeight', 'ffnOutBias']) params.get(added[k]).fill(0);
params.set(added.attnLnWeight, new Float32Array(params.get(last.ffnLnWeight)));
params.set(added.attnLnBias, new Float32Array(params.get(last.ffnLnBias)));
await exportModel(path.resolve(out), { ...config, layers: L + 1 }, params, path.resolve(from), { maskedVariant: true });
console.log(`${path.resolve(out)}: ${L + 1} layers, layer ${L} a near-identity copy of layer ${L - 1}`);
