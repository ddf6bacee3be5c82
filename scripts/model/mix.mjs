// Builds another mix of the training documents as a folder of hard links (no copies): every technical-prose and
// general-English document, and a share of the code documents chosen by a hash of their contents — for a phase that
// should weigh prose more than the corpus does (the trainer reads a folder; it has no per-kind weights).
// usage: node scripts/model/mix.mjs OUT_DIR [CODE_SHARE] [SAMPLE]   e.g. node scripts/model/mix.mjs .model-work/docs/train-b 0.5
// CODE_SHARE may be a range LO:HI of the code documents' hash order: 0.35 is 0:0.35, and 0.35:0.7 the same amount of
// code with none of those documents (a later phase that should read code it has not read at sequence 256).
// SAMPLE (default 1) keeps that share of every kind on top, for short branch experiments that should not tokenize the
// whole corpus.
// Reads .model-work/docs/train (scripts/model/prepare.mjs) and .corpus/documents.jsonl (each document's kind).
import { createHash } from 'node:crypto';
import { existsSync, linkSync, mkdirSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import path from 'node:path';

const root = path.resolve(path.dirname(new URL(import.meta.url).pathname), '..', '..');
const [outArg, shareArg, sampleArg] = process.argv.slice(2);
const [lo, hi] = (shareArg ?? '0.5').includes(':') ? shareArg.split(':').map(Number) : [0, Number(shareArg ?? 0.5)];
const sample = Number(sampleArg ?? 1);
if (!outArg || !(lo >= 0 && lo <= hi && hi <= 1) || !(sample > 0 && sample <= 1)) {
  console.error('usage: node scripts/model/mix.mjs OUT_DIR [CODE_SHARE (0..1 or LO:HI, default 0.5)] [SAMPLE (0..1, default 1)]');
  process.exit(2);
}
const out = path.resolve(outArg);
const from = path.join(root, '.model-work', 'docs', 'train');
const sha = (s) => createHash('sha256').update(s).digest('hex');

const kindOf = new Map();
for (const line of readFileSync(path.join(root, '.corpus', 'documents.jsonl'), 'utf8').trim().split('\n')) {
  const d = JSON.parse(line);
  kindOf.set(d.sha256, d.kind);
}
if (existsSync(out)) rmSync(out, { recursive: true });
mkdirSync(out, { recursive: true });
const bytes = { code: 0, prose: 0, english: 0, unknown: 0 };
const kept = { code: 0, prose: 0, english: 0, unknown: 0 };
for (const f of readdirSync(from).sort()) {
  const text = readFileSync(path.join(from, f), 'utf8');
  // prepare.mjs writes each document with a final newline; documents.jsonl hashes it without.
  const h = sha(text.replace(/\n$/, ''));
  const kind = kindOf.get(h) ?? kindOf.get(sha(text)) ?? 'unknown';
  bytes[kind] += text.length;
  // The first 8 hex digits of the hash as a number in [0, 1): the same documents for the same share, every time.
  // The sample uses other digits, so it is independent of the code share.
  const u = parseInt(h.slice(0, 8), 16) / 2 ** 32;
  const keep = (kind !== 'code' || (u >= lo && u < hi)) && parseInt(h.slice(8, 16), 16) / 2 ** 32 < sample;
  if (!keep) continue;
  kept[kind] += text.length;
  linkSync(path.join(from, f), path.join(out, f));
}
const mb = (n) => (n / 1e6).toFixed(1);
const total = Object.values(kept).reduce((a, b) => a + b, 0);
for (const k of Object.keys(kept)) {
  if (bytes[k] === 0) continue;
  console.log(`${k}: ${mb(kept[k])} of ${mb(bytes[k])} MB kept, ${((100 * kept[k]) / total).toFixed(1)}% of the mix`);
}
console.log(`${out}: ${mb(total)} MB`);
