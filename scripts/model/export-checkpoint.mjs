// Exports the model of a run's checkpoint while the run goes on, to look at it (cloze fill / eval) or to branch a
// new run from it (cloze train --from): the run itself exports only when it finishes.
// usage: node scripts/model/export-checkpoint.mjs RUN_DIR OUT_DIR   (after `npm run compile`)
import { createRequire } from 'node:module';
import path from 'node:path';

const require = createRequire(import.meta.url);
const root = path.resolve(path.dirname(new URL(import.meta.url).pathname), '..', '..');
const { loadCheckpoint } = require(path.join(root, 'out/src/train/checkpoint.js'));
const { exportModel } = require(path.join(root, 'out/src/train/export.js'));

const [run, out] = process.argv.slice(2);
if (!run || !out) {
  console.error('usage: node scripts/model/export-checkpoint.mjs RUN_DIR OUT_DIR');
  process.exit(2);
}
const ck = await loadCheckpoint(path.join(run, 'checkpoint.bin'));
await exportModel(path.resolve(out), ck.config, ck.params, ck.hyper.tokenizerDir, { maskedVariant: true });
console.log(`step ${ck.step} of ${ck.hyper.totalSteps} → ${path.resolve(out)}`);
