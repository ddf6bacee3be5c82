// How whole-word candidates of different lengths should be compared (src/core/wholeWord.ts LENGTH_EXPONENT): words
// of the bundled model's held-out samples (test/fixtures/default-eval: code, prose, English), each masked with one
// [MASK] (whole file as context), candidates generated once (maxPieces N, beam 5, the 8 best one-piece words kept as
// the editor's list has them), then ranked on PLL / k^alpha for several alphas; top-1 / top-5 by kind and by pieces.
// usage: node scripts/whole-word-lengths.mjs   (after `npm run compile`; env PER, FILES, N)
import { createRequire } from 'node:module';
import fs from 'node:fs';
import path from 'node:path';
import { heldOutWords } from './heldout-words.mjs';
const require = createRequire(import.meta.url);
const root = path.resolve(path.dirname(new URL(import.meta.url).pathname), '..');
const { Engine } = require(path.join(root, 'out/src/core/engine.js'));
const { wholeWords } = require(path.join(root, 'out/src/core/wholeWord.js'));
const engine = await Engine.load(path.join(root, 'models/default'), { devices: ['cpu'], threads: 1 });
const MASK = '[MASK]';
const perFile = Number(process.env.PER ?? 4);
const N = Number(process.env.N ?? 2);
const out = [];
for (const { kind, text, match: m } of heldOutWords(root, { perFile, files: Number(process.env.FILES ?? 12), minOffset: 200 })) {
  const masked = text.slice(0, m.index) + MASK + text.slice(m.index + m[0].length);
  const span = { start: m.index, end: m.index + MASK.length };
  let pieces;
  try { pieces = (await engine.targetPieces(masked, span, [m[0]]))[0].ids.length; } catch { continue; }
  const w = await wholeWords(engine, masked, span, { maxPieces: N, topK: 40, beam: 5 });
  const ones = w.candidates.filter((c) => c.ids.length === 1).sort((a, b) => b.pll - a.pll).slice(0, 8);
  const multi = w.candidates.filter((c) => c.ids.length > 1);
  out.push({ kind, word: m[0], pieces, cands: [...ones, ...multi].map((c) => ({ t: c.text, k: c.ids.length, pll: c.pll })) });
}
console.error(`${out.length} words`);
if (process.env.OUT) fs.writeFileSync(process.env.OUT, JSON.stringify(out));
for (const alpha of [1, 0.75, 0.5, 0.25, 0]) {
  const r = {};
  for (const it of out) {
    const key = `${it.kind}/${it.pieces === 1 ? '1' : '2+'}`;
    const ranked = [...it.cands].sort((a, b) => b.pll / b.k ** alpha - a.pll / a.k ** alpha).slice(0, 8);
    const s = (r[key] ??= { n: 0, top1: 0, top5: 0 });
    s.n++;
    if (ranked[0]?.t === it.word) s.top1++;
    if (ranked.slice(0, 5).some((c) => c.t === it.word)) s.top5++;
  }
  console.log(`alpha ${alpha}: ` + Object.entries(r).sort().map(([k, s]) => `${k} n=${s.n} top1 ${(100 * s.top1 / s.n).toFixed(1)} top5 ${(100 * s.top5 / s.n).toFixed(1)}`).join(' | '));
}
await engine.dispose();
