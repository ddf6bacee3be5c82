// Fill latency of model folders at a 256-token window, interleaved round by round so that load from other work on
// the machine hits every model alike; prints p50/p90 per model and the ratio of medians to the first (the baseline).
// usage: node scripts/model/latency.mjs BASELINE_DIR DIR... [--rounds N] [--threads N]   (after `npm run compile`)
import { createRequire } from 'node:module';
import path from 'node:path';

const require = createRequire(import.meta.url);
const root = path.resolve(path.dirname(new URL(import.meta.url).pathname), '..', '..');
const { Engine } = require(path.join(root, 'out/src/core/engine.js'));

const args = process.argv.slice(2);
const opt = (name, dflt) => {
  const i = args.indexOf(name);
  if (i < 0) return dflt;
  const v = Number(args[i + 1]);
  args.splice(i, 2);
  return v;
};
const rounds = opt('--rounds', 60);
const threads = opt('--threads', 1);
const dirs = args;
if (dirs.length < 1) {
  console.error('usage: node scripts/model/latency.mjs BASELINE_DIR DIR... [--rounds N] [--threads N]');
  process.exit(2);
}

// Ordinary code and prose, long enough that every model sees a full 256-token window around the mask.
const para = 'The server reads its configuration from the file, validates every field and returns an error that names the field when a value is out of range. ';
const code = 'function parse(text, options = {}) {\n  const lines = text.split("\\n");\n  for (let i = 0; i < lines.length; i++) {\n    if (lines[i].startsWith("#")) continue;\n    result.push(lines[i].trim());\n  }\n  return result;\n}\n';
const before = (para + code).repeat(4);
const after = (code + para).repeat(4);
const text = `${before}const value = items.[MASK](0);\n${after}`;

const engines = [];
for (const d of dirs) engines.push({ dir: d, engine: await Engine.load(path.resolve(d), { devices: ['cpu'], threads }), times: [] });
for (const e of engines) for (let i = 0; i < 5; i++) await e.engine.fill(text, { topK: 8, contextTokens: 256 }); // warm-up
for (let r = 0; r < rounds; r++) {
  for (const e of engines) {
    const t0 = process.hrtime.bigint();
    await e.engine.fill(text, { topK: 8, contextTokens: 256 });
    e.times.push(Number(process.hrtime.bigint() - t0) / 1e6);
  }
}
const q = (xs, p) => {
  const s = [...xs].sort((a, b) => a - b);
  const i = (s.length - 1) * p;
  return s[Math.floor(i)] + (s[Math.ceil(i)] - s[Math.floor(i)]) * (i - Math.floor(i));
};
const base = q(engines[0].times, 0.5);
const out = engines.map((e) => ({ model: e.dir, p50: q(e.times, 0.5), p90: q(e.times, 0.9), ratio: q(e.times, 0.5) / base }));
for (const o of out) console.log(`${o.model.padEnd(40)} p50 ${o.p50.toFixed(2)} ms  p90 ${o.p90.toFixed(2)} ms  ×${o.ratio.toFixed(2)} of the baseline`);
console.log(JSON.stringify({ rounds, threads, windowTokens: 256, results: out }));
for (const e of engines) await e.engine.dispose();
