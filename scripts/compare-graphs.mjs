// Two head-at-masks graphs of the same weights (e.g. before and after a change to src/train/bert.ts): the largest
// logit difference on padded batches with several masks, then bare session.run timed in interleaved pairs at 256 tokens.
// usage: node scripts/compare-graphs.mjs A.onnx B.onnx   (env T threads, default 1; N pairs, default 60; V vocabulary, default 16384)
import { createRequire } from 'node:module';
const require = createRequire(import.meta.url);
const ort = require('onnxruntime-node');
const [a, b] = process.argv.slice(2);
const opt = { intraOpNumThreads: Number(process.env.T ?? 1), interOpNumThreads: 1, extra: { session: { intra_op: { allow_spinning: '0' } } } };
const sa = await ort.InferenceSession.create(a, opt);
const sb = await ort.InferenceSession.create(b, opt);
const V = Number(process.env.V ?? 16384);
function feeds(B, S, masks, lens) {
  const ids = new BigInt64Array(B * S), att = new BigInt64Array(B * S), pos = new BigInt64Array(B * masks.length);
  let seed = 7;
  const rnd = () => ((seed = (seed * 1103515245 + 12345) % 2147483648) / 2147483648);
  for (let r = 0; r < B; r++) for (let s = 0; s < S; s++) {
    const live = s < lens[r];
    ids[r * S + s] = BigInt(!live ? 1 : s === 0 ? 0 : s === lens[r] - 1 ? 2 : masks.includes(s) ? 4 : 5 + Math.floor(rnd() * (V - 10)));
    att[r * S + s] = live ? 1n : 0n;
  }
  for (let r = 0; r < B; r++) masks.forEach((m, j) => (pos[r * masks.length + j] = BigInt(m)));
  const f = { input_ids: new ort.Tensor('int64', ids, [B, S]), attention_mask: new ort.Tensor('int64', att, [B, S]), mask_positions: new ort.Tensor('int64', pos, [B, masks.length]) };
  // BERT graphs take token types too (all 0 here).
  if (sa.inputNames.includes('token_type_ids')) f.token_type_ids = new ort.Tensor('int64', new BigInt64Array(B * S), [B, S]);
  return f;
}
let worst = 0;
for (const [B, S, masks, lens] of [[1, 256, [127], [256]], [2, 100, [3, 50, 70], [100, 80]], [3, 40, [1, 2], [40, 12, 30]]]) {
  const f = feeds(B, S, masks, lens);
  const x = (await sa.run(f)).logits.data, y = (await sb.run(f)).logits.data;
  let w = 0;
  for (let i = 0; i < x.length; i++) w = Math.max(w, Math.abs(x[i] - y[i]));
  console.log(`B=${B} S=${S} masks=${masks}: max |Δlogit| ${w.toExponential(2)} (${x.length} values)`);
  worst = Math.max(worst, w);
}
const f = feeds(1, 256, [127], [256]);
const ta = [], tb = [];
for (let i = 0; i < 10; i++) { await sa.run(f); await sb.run(f); }
for (let i = 0; i < Number(process.env.N ?? 60); i++) {
  for (const [s, t] of i % 2 ? [[sa, ta], [sb, tb]] : [[sb, tb], [sa, ta]]) { const t0 = performance.now(); await s.run(f); t.push(performance.now() - t0); }
}
const med = (xs) => [...xs].sort((p, q) => p - q)[xs.length >> 1];
const ratio = med(ta.map((v, i) => v / tb[i]));
console.log(`p50 old ${med(ta).toFixed(2)} ms, new ${med(tb).toFixed(2)} ms, paired old/new ${ratio.toFixed(2)}x`);
