// Whether a mask that ends its line should be read with an unseen continuation (a mask for the text not yet written)
// after it. Simulates typing: held-out samples (test/fixtures/default-eval), a word replaced by [MASK] and the rest of
// its line deleted (A), or the whole rest of the document deleted (B); top-1 / top-5 of the word, one-piece fills,
// read as is and with the engine's `openLineEnd`.
// usage: node scripts/open-line-end.mjs   (after `npm run compile`; env PER words per file, FILES files per kind)
import { createRequire } from 'node:module';
import path from 'node:path';
import { heldOutWords } from './heldout-words.mjs';
const require = createRequire(import.meta.url);
const root = path.resolve(path.dirname(new URL(import.meta.url).pathname), '..');
const { Engine } = require(path.join(root, 'out/src/core/engine.js'));
const { fitCandidates } = require(path.join(root, 'out/src/core/edges.js'));
const engine = await Engine.load(process.env.MODEL ?? path.join(root, 'models/default'), { devices: ['cpu'], threads: 1 });
const perFile = Number(process.env.PER ?? 6);
const stats = {};
for (const { kind, text, match: m } of heldOutWords(root, { perFile, files: Number(process.env.FILES ?? 40), minOffset: 300 })) {
  const lineEnd = text.indexOf('\n', m.index);
  const restOfDoc = lineEnd < 0 ? '' : text.slice(lineEnd);
  for (const [scenario, after] of [['A: rest of line not typed', restOfDoc], ['B: rest of document not typed', '']]) {
    const masked = text.slice(0, m.index) + '[MASK]' + after;
    for (const open of [false, true]) {
      const p = await engine.fillAt(masked, m.index, { topK: 40, openLineEnd: open });
      const words = fitCandidates(masked, p.span, p.candidates).map((c) => c.text.trim());
      const key = `${kind} | ${scenario} | ${open ? 'open' : 'as is'}`;
      const s = (stats[key] ??= { n: 0, top1: 0, top5: 0 });
      s.n++;
      if (words[0] === m[0]) s.top1++;
      if (words.slice(0, 5).includes(m[0])) s.top5++;
    }
  }
}
for (const [k, s] of Object.entries(stats)) console.log(`${k} | ${s.n} | ${(100 * s.top1 / s.n).toFixed(1)}% | ${(100 * s.top5 / s.n).toFixed(1)}% |`);
await engine.dispose();
