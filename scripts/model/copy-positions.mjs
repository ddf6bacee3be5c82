// Extends a model trained at a short sequence length to its whole position table by copying the learned rows into
// the untrained ones (row 2 + k + n·LEARNED gets row 2 + k), before it continues at the longer length. Untrained rows
// are not harmless — a model trained at 128 scored 45.8% on held-out prose at 128 tokens and 23.4% at 256 — and
// they learn slowly from their small init: 928 steps at 8 × 256 reached 29.3% at 256 with the init rows, 43.0% with
// them scaled to the learned rows' norm, 45.2% copied (as Longformer extends RoBERTa's positions).
// usage: node scripts/model/copy-positions.mjs MODEL_DIR OUT_DIR LEARNED_TOKENS   (after `npm run compile`)
import { createRequire } from 'node:module';
import path from 'node:path';

const require = createRequire(import.meta.url);
const root = path.resolve(path.dirname(new URL(import.meta.url).pathname), '..', '..');
const { importModel } = require(path.join(root, 'out/src/train/import.js'));
const { exportModel } = require(path.join(root, 'out/src/train/export.js'));
const { PARAM } = require(path.join(root, 'out/src/train/model.js'));

const [from, out, learnedArg] = process.argv.slice(2);
const learned = Number(learnedArg);
if (!from || !out || !Number.isInteger(learned) || learned < 1) {
  console.error('usage: node scripts/model/copy-positions.mjs MODEL_DIR OUT_DIR LEARNED_TOKENS');
  process.exit(2);
}
const { config, params } = await importModel(path.resolve(from));
const { hidden: H, maxPositions: rows, positionOffset: off } = config;
if (off + learned >= rows) {
  console.error(`${from} has ${rows - off} positions; nothing past ${learned} to fill.`);
  process.exit(1);
}
const table = params.get(PARAM.positionEmbeddings);
for (let r = off + learned; r < rows; r++) {
  const src = off + ((r - off) % learned);
  table.copyWithin(r * H, src * H, (src + 1) * H);
}
await exportModel(path.resolve(out), config, params, path.resolve(from), { maskedVariant: true });
console.log(`${path.resolve(out)}: positions ${learned}–${rows - off - 1} copied from 0–${learned - 1}`);
