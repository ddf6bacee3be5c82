// Draws a training run's curve for the model card (an SVG the card embeds), from the runs' own train-log.jsonl.
// usage: node scripts/model/plot.mjs OUT.svg LABEL=RUN_DIR@SEQxBATCH [...] [-- LABEL=RUN_DIR@SEQxBATCH ...]
//   e.g. node scripts/model/plot.mjs models/default/training-curve.svg "A, seq 128=.model-work/v2-a@128x16" "B, seq 256=.model-work/v2-b@256x32"
// A `--` starts another chain at 0 tokens, drawn over the first: runs to compare rather than phases of one training.
// (the sequence length and batch size are given because a run that is still going has no summary.json yet)
// Phases are drawn end to end on one axis of tokens processed (each phase's tokens continue the previous one's), so
// a card shows the whole training in one picture: the training loss (mean of each 200-step window) above, the
// held-out top-1 measured during training below.
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import * as vega from 'vega';
import * as vegaLite from 'vega-lite';

const [outFile, ...runs] = process.argv.slice(2);
const RUN = /^(.+)=(.+)@(\d+)x(\d+)$/;
if (!outFile || runs.length === 0 || runs.some((r) => r !== '--' && !RUN.test(r))) {
  console.error('usage: node scripts/model/plot.mjs OUT.svg LABEL=RUN_DIR@SEQxBATCH [...] [-- LABEL=RUN_DIR@SEQxBATCH ...]');
  process.exit(2);
}

const WINDOW = 200; // steps per loss point
const loss = [];
const heldOut = [];
let offset = 0; // tokens processed by the phases before this one
let longest = 0;
for (const arg of runs) {
  if (arg === '--') {
    offset = 0;
    continue;
  }
  const [, label, dir, seq, batch] = RUN.exec(arg);
  const tokensPerStep = Number(seq) * Number(batch);
  const events = readFileSync(path.join(dir, 'train-log.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l));
  // A resumed run logs the steps after its checkpoint again; the last record of a step is the one that counts.
  const progress = [...new Map(events.filter((e) => e.type === 'progress').map((e) => [e.step, e])).values()].sort((a, b) => a.step - b.step);
  const windows = new Map();
  for (const e of progress) {
    const w = Math.ceil(e.step / WINDOW);
    windows.set(w, [...(windows.get(w) ?? []), e]);
  }
  for (const [w, es] of windows) {
    loss.push({ phase: label, mtokens: (offset + w * WINDOW * tokensPerStep) / 1e6, loss: es.reduce((s, e) => s + e.loss, 0) / es.length });
  }
  for (const e of events.filter((x) => x.type === 'eval' && x.phase !== 'before' && x.step > 0)) {
    heldOut.push({ phase: label, mtokens: (offset + e.step * tokensPerStep) / 1e6, top1: e.top1 });
  }
  offset += (progress.at(-1)?.step ?? 0) * tokensPerStep;
  longest = Math.max(longest, offset);
}

const x = { field: 'mtokens', type: 'quantitative', title: 'tokens processed (millions)' };
const color = { field: 'phase', type: 'nominal', title: 'phase' };
const spec = {
  $schema: 'https://vega.github.io/schema/vega-lite/v6.json',
  background: 'white',
  vconcat: [
    { width: 560, height: 220, title: `training loss (masked positions, mean of ${WINDOW} steps)`, data: { values: loss }, mark: 'line',
      encoding: { x, y: { field: 'loss', type: 'quantitative', title: 'cross-entropy (nats)', scale: { zero: false } }, color } },
    { width: 560, height: 160, title: 'held-out top-1 during training (the run\'s own held-out split)', data: { values: heldOut }, mark: { type: 'line', point: true },
      encoding: { x, y: { field: 'top1', type: 'quantitative', title: 'top-1', axis: { format: '%' } }, color } },
  ],
};
const view = new vega.View(vega.parse(vegaLite.compile(spec).spec), { renderer: 'none' });
writeFileSync(outFile, await view.toSVG());
console.log(`${outFile}: ${loss.length} loss points, ${heldOut.length} held-out points, ${(longest / 1e6).toFixed(1)} M tokens`);
