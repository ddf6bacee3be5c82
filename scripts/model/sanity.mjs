// The default model's sanity cases (test/unit/defaultModel.test.ts: the original 12 and the 12 added for v2) run on
// any model folder — a snapshot of a run that is still going, before it may replace models/default.
// usage: node scripts/model/sanity.mjs MODEL_DIR [--markdown] [--editor]   (after `npm run compile`; --markdown: the
// card's tables; --editor: the fills as the editor shows them — whole words of up to 2 pieces, a mask at a line end read
// as followed by text not yet written, fitted to the text — which is not what the bar counts)
import { createRequire } from 'node:module';
import path from 'node:path';

const require = createRequire(import.meta.url);
const root = path.resolve(path.dirname(new URL(import.meta.url).pathname), '..', '..');
// The cases live in the test file, which registers a suite when loaded: give it an inert `describe`.
globalThis.describe = () => undefined;
const t = require(path.join(root, 'out/test/unit/defaultModel.test.js'));
const { Engine } = require(path.join(root, 'out/src/core/engine.js'));
const { fitWords } = require(path.join(root, 'out/src/core/edges.js'));

const dir = process.argv[2];
const markdown = process.argv.includes('--markdown');
const editor = process.argv.includes('--editor');
const rows = [];
const cell = (s) => '`' + s.replace(/\n/g, '⏎').replace(/\t/g, '').replace(/\|/g, '\\|') + '`';
if (!dir) {
  console.error('usage: node scripts/model/sanity.mjs MODEL_DIR');
  process.exit(2);
}
const engine = await Engine.load(path.resolve(dir), { devices: ['cpu'] });
const judge = async (text, answers) => {
  const words = editor ? await asEditor(text) : (await engine.fill(text, { topK: 5 }))[0].candidates.map((c) => c.text.trim());
  const ok = words.some((w) => answers.includes(w));
  rows.push(`| ${cell(text)} | ${answers.map(cell).join(', ')} | ${words.map(cell).join(' ')} | ${ok ? '✓' : '✗'} |`);
  console.log(`${ok ? 'ok  ' : 'MISS'} ${JSON.stringify(text)} → ${words.join(' | ')}`);
  return ok;
};
// The editor's defaults (src/server/main.ts: maxPieces 2, openLineEnd), then the edges' fitting (src/core/edges.ts).
async function asEditor(text) {
  const at = text.indexOf('[MASK]');
  const p = await engine.fillAt(text, at, { topK: 8, maxPieces: 2, openLineEnd: true });
  return fitWords(text, p.span, p.candidates).slice(0, 5).map((c) => c.text.trim());
}
let original = 0;
for (const [text, answers] of t.SANITY_CASES) if (await judge(text, answers)) original++;
const groups = {};
let added = 0;
for (const [group, text, answers] of t.SANITY_CASES_V2) {
  const ok = await judge(text, answers);
  groups[group] = (groups[group] ?? 0) + (ok ? 1 : 0);
  if (ok) added++;
}
const perGroup = Object.values(groups).every((n) => n >= t.V2_MIN_PASS_PER_GROUP);
console.log(`original ${original} of ${t.SANITY_CASES.length} (v1 bar ${t.SANITY_MIN_PASS}, v2 bar ${t.V2_MIN_PASS_ORIGINAL}); new ${added} of ${t.SANITY_CASES_V2.length} (${Object.entries(groups).map(([g, n]) => `${g} ${n}/3`).join(', ')}; v2 bar ${t.V2_MIN_PASS_NEW}, ${t.V2_MIN_PASS_PER_GROUP} per group): v2 bar ${original >= t.V2_MIN_PASS_ORIGINAL && added >= t.V2_MIN_PASS_NEW && perGroup ? 'met' : 'not met'}`);
if (markdown) {
  const head = ['| text | expected | top 5 | |', '| --- | --- | --- | --- |'];
  console.log(['', '**Original 12**', '', ...head, ...rows.slice(0, t.SANITY_CASES.length), '', '**Added for v2** (identifiers, API names, doc-comment words, everyday English — three each)', '', ...head, ...rows.slice(t.SANITY_CASES.length)].join('\n'));
}
await engine.dispose();
