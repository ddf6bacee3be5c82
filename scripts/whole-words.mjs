// Measures whole-word fills (issue 11 #1, #2) on held-out code: identifiers masked with one [MASK], found in the top 5
// as whole words vs the one-piece fill; ms per fill at N = 1, 2, 4; and exact-pair accuracy of joint vs independent
// decoding of two masks. Prints the tables docs/whole-words.md quotes.
// usage: node scripts/whole-words.mjs [--model DIR] [--per-file N] [--cost-only] [FILE|DIR ...]   (after `npm run compile`)
// --cost-only: just ms per fill at N = 1, 2, 4 (default scoring), the three interleaved per mask.
// Default held-out text: this repository's own src/server, src/client and src/cli (.ts): not in the bundled model's
// corpus (npm and Debian packages; models/default/DATA.md). test/fixtures/default-eval/code is the corpus's own
// held-out split (never trained on), in the training distribution.
import { createRequire } from 'node:module';
import fs from 'node:fs';
import path from 'node:path';

const require = createRequire(import.meta.url);
const root = path.resolve(path.dirname(new URL(import.meta.url).pathname), '..');
const { Engine } = require(path.join(root, 'out/src/core/engine.js'));
const { wholeWords } = require(path.join(root, 'out/src/core/wholeWord.js'));

const args = process.argv.slice(2);
const opt = (name, dflt) => {
  const i = args.indexOf(name);
  if (i < 0) return dflt;
  const v = args[i + 1];
  args.splice(i, 2);
  return v;
};
const modelDir = opt('--model', path.join(root, 'models/default'));
const perFile = Number(opt('--per-file', 6));
const costOnly = args.includes('--cost-only') && args.splice(args.indexOf('--cost-only'), 1).length > 0;
const inputs = args.length ? args : ['src/server', 'src/client', 'src/cli'].map((d) => path.join(root, d));

function listFiles(p) {
  const st = fs.statSync(p);
  if (st.isFile()) return [p];
  return fs.readdirSync(p).sort().flatMap((n) => listFiles(path.join(p, n))).filter((f) => /\.(ts|js|txt)$/.test(f));
}
// Files that already hold a mask token would add masks of their own to the window.
const files = inputs.flatMap(listFiles).filter((f) => !/\[MASK\]|<mask>/.test(fs.readFileSync(f, 'utf8')));

const engine = await Engine.load(modelDir, { devices: ['cpu'], threads: 1 });
const MASK = '[MASK]';
const IDENT = /(?<![\w$.'"`])[A-Za-z_][A-Za-z0-9_]{2,}(?![\w$'"`])/g;
const KEYWORDS = new Set(['import', 'from', 'const', 'let', 'var', 'return', 'function', 'export', 'await', 'async', 'new', 'this', 'true', 'false', 'undefined', 'null', 'type', 'interface', 'readonly', 'string', 'number', 'boolean', 'void', 'for', 'while', 'else', 'case', 'break', 'continue', 'throw', 'catch', 'try', 'finally', 'class', 'extends', 'implements', 'private', 'static', 'public', 'typeof', 'instanceof', 'switch', 'default']);

/** Deterministic sample: identifiers at evenly spaced occurrences, with their piece count in context. */
async function sample() {
  const multi = [];
  const single = [];
  for (const f of files) {
    const text = fs.readFileSync(f, 'utf8');
    const found = [...text.matchAll(IDENT)].filter((m) => !KEYWORDS.has(m[0]) && !text.slice(Math.max(0, m.index - 80), m.index).includes(MASK));
    const pickM = [];
    const pickS = [];
    const step = Math.max(1, Math.floor(found.length / (perFile * 4)));
    for (let i = 0; i < found.length; i += step) {
      const m = found[i];
      const masked = text.slice(0, m.index) + MASK + text.slice(m.index + m[0].length);
      const span = { start: m.index, end: m.index + MASK.length };
      let pieces;
      try {
        pieces = (await engine.targetPieces(masked, span, [m[0]]))[0].ids.length;
      } catch {
        continue;
      }
      const item = { file: path.relative(root, f), word: m[0], masked, span, pieces };
      if (pieces >= 2 && pieces <= 4 && pickM.length < perFile) pickM.push(item);
      else if (pieces === 1 && pickS.length < Math.ceil(perFile / 2)) pickS.push(item);
    }
    multi.push(...pickM);
    single.push(...pickS);
  }
  return { multi, single };
}

const { multi, single } = await sample();
console.log(`held-out: ${files.length} files; ${multi.length} identifiers of 2–4 pieces, ${single.length} of one piece (model ${engine.info.name})`);

if (costOnly) {
  const t = { 1: [], 2: [], 4: [] };
  for (const it of [...multi, ...single]) {
    for (const n of [1, 2, 4]) {
      const t0 = performance.now();
      await engine.fillAt(it.masked, it.span.start, { topK: 5, maxPieces: n });
      t[n].push(performance.now() - t0);
    }
  }
  const med = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
  console.log(`ms per fill (median over ${t[1].length} masks, topK 5 = beam 5, 256-token window, 1 thread): N=1 ${med(t[1]).toFixed(1)}, N=2 ${med(t[2]).toFixed(1)}, N=4 ${med(t[4]).toFixed(1)}`);
  await engine.dispose();
  process.exit(0);
}

const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] ?? NaN;
const pct = (n, d) => `${((100 * n) / Math.max(1, d)).toFixed(1)}%`;

async function evaluate(items, label) {
  const rows = [];
  const time = { 1: [], 2: [], 4: [] };
  const hits = { one: 0, onePrefix: 0, pll2: 0, pll4: 0, l2r2: 0, l2r4: 0, l2r4top1: 0, one1: 0 };
  for (const it of items) {
    let t0 = performance.now();
    const one = await engine.fillAt(it.masked, it.span.start, { topK: 5 });
    time[1].push(performance.now() - t0);
    const texts1 = one.candidates.map((c) => c.text);
    if (texts1.includes(it.word)) hits.one++;
    if (texts1[0] === it.word) hits.one1++;
    if (texts1.some((t) => t.length > 0 && it.word.startsWith(t))) hits.onePrefix++;
    for (const [n, scoring] of [[2, 'l2r'], [4, 'l2r'], [2, 'pll'], [4, 'pll']]) {
      t0 = performance.now();
      const w = await wholeWords(engine, it.masked, it.span, { maxPieces: n, topK: 5, scoring });
      if (scoring === 'l2r') time[n].push(performance.now() - t0);
      const texts = w.candidates.map((c) => c.text);
      if (texts.includes(it.word)) hits[`${scoring}${n}`]++;
      if (n === 4 && scoring === 'l2r' && texts[0] === it.word) hits.l2r4top1++;
    }
    rows.push(it.word);
  }
  console.log(`\n${label}: ${items.length} masks`);
  console.log(`| fill | found in top 5 |`);
  console.log(`|---|---|`);
  console.log(`| one piece (N = 1), exact word | ${pct(hits.one, items.length)} |`);
  console.log(`| one piece (N = 1), a prefix of the word (what accepting it leaves) | ${pct(hits.onePrefix, items.length)} |`);
  console.log(`| whole words N = 2, PLL (Salazar) | ${pct(hits.pll2, items.length)} |`);
  console.log(`| whole words N = 4, PLL (Salazar) | ${pct(hits.pll4, items.length)} |`);
  console.log(`| whole words N = 2, PLL-l2r | ${pct(hits.l2r2, items.length)} |`);
  console.log(`| whole words N = 4, PLL-l2r | ${pct(hits.l2r4, items.length)} |`);
  console.log(`top 1: one piece ${pct(hits.one1, items.length)}, whole words N = 4 (l2r) ${pct(hits.l2r4top1, items.length)}`);
  return time;
}

const tm = await evaluate(multi, 'identifiers of 2–4 pieces');
const ts = await evaluate(single, 'identifiers of one piece (what whole words must not spoil)');
const all = { 1: [...tm[1], ...ts[1]], 2: [...tm[2], ...ts[2]], 4: [...tm[4], ...ts[4]] };
console.log(`\nms per fill (median over ${all[1].length} fills, 256-token window, 1 thread): N=1 ${median(all[1]).toFixed(1)}, N=2 ${median(all[2]).toFixed(1)}, N=4 ${median(all[4]).toFixed(1)}`);

// Two masks: one-piece identifiers on the same line, both masked; exact pair = both words right.
let pairs = 0;
let jointOk = 0;
let indepOk = 0;
for (const f of files) {
  const text = fs.readFileSync(f, 'utf8');
  let taken = 0;
  for (const line of text.split('\n')) {
    if (taken >= perFile) break;
    const found = [...line.matchAll(IDENT)].filter((m) => !KEYWORDS.has(m[0]));
    if (found.length < 2) continue;
    const [a, b] = [found[0], found[found.length - 1]];
    if (a.index === b.index || a[0] === b[0]) continue;
    const lineAt = text.indexOf(line);
    const masked = text.slice(0, lineAt + a.index) + MASK + line.slice(a.index + a[0].length, b.index) + MASK + text.slice(lineAt + b.index + b[0].length);
    const sa = lineAt + a.index;
    const sb = sa + MASK.length + (b.index - a.index - a[0].length);
    const pa = await engine.targetPieces(masked, { start: sa, end: sa + MASK.length }, [a[0]]).catch(() => undefined);
    const pb = await engine.targetPieces(masked, { start: sb, end: sb + MASK.length }, [b[0]]).catch(() => undefined);
    if (!pa || !pb || pa[0].ids.length !== 1 || pb[0].ids.length !== 1) continue;
    taken++;
    pairs++;
    const ind = await engine.fill(masked, { topK: 1 });
    const byStart = new Map(ind.map((p) => [p.span.start, p.candidates[0]?.text]));
    if (byStart.get(sa) === a[0] && byStart.get(sb) === b[0]) indepOk++;
    const j = await engine.fillJoint(masked, sa + 1, { maxMasks: 2 });
    const best = j?.alternatives[0];
    if (best && j.spans.length === 2 && best.texts[0] === a[0] && best.texts[1] === b[0]) jointOk++;
  }
}
console.log(`\npairs of masks on one line (one-piece identifiers): ${pairs}; exact pair: independent argmax ${pct(indepOk, pairs)}, joint (beam 3) ${pct(jointOk, pairs)}`);
await engine.dispose();
