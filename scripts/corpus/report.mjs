// Prints the corpus tables of models/default/DATA.md (mix by language and kind, and every source with its pin,
// licence and byte counts) from .corpus/manifest.json, stats.json and documents.jsonl, so the card's numbers are
// copied from the run, never typed.
// usage: node scripts/corpus/report.mjs [.corpus]
import { readFileSync } from 'node:fs';
import path from 'node:path';

const dir = path.resolve(process.argv[2] ?? '.corpus');
const manifest = JSON.parse(readFileSync(path.join(dir, 'manifest.json'), 'utf8'));
const docs = readFileSync(path.join(dir, 'documents.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l));
const mb = (b) => (b / 1e6).toFixed(2);
const n = (x) => x.toLocaleString('en-US');

const NAMES = {
  python: 'Python', typescript: 'TypeScript', javascript: 'JavaScript', go: 'Go', rust: 'Rust', java: 'Java', c: 'C', cpp: 'C++', shell: 'shell',
  rst: 'reStructuredText', html: 'HTML → text', manpage: 'man pages (rendered)', pod: 'Perl POD', markdown: 'Markdown', asciidoc: 'AsciiDoc', text: 'plain text',
};
const KIND_NAMES = { code: 'code', prose: 'technical prose', english: 'general English' };

// ---- mix by kind and language
const rows = new Map();
for (const d of docs) {
  const held = d.shard.startsWith('valid/');
  const key = `${d.kind}\u0000${d.lang}`;
  const r = rows.get(key) ?? { kind: d.kind, lang: d.lang, files: 0, bytes: 0, trainBytes: 0, heldFiles: 0, heldBytes: 0 };
  r.files++;
  r.bytes += d.bytes;
  if (held) {
    r.heldFiles++;
    r.heldBytes += d.bytes;
  } else r.trainBytes += d.bytes;
  rows.set(key, r);
}
const add = (a, b) => ({ files: a.files + b.files, bytes: a.bytes + b.bytes, trainBytes: a.trainBytes + b.trainBytes, heldFiles: a.heldFiles + b.heldFiles, heldBytes: a.heldBytes + b.heldBytes });
const zero = { files: 0, bytes: 0, trainBytes: 0, heldFiles: 0, heldBytes: 0 };
const line = (name, r, bold = false) => {
  const b = (s) => (bold ? `**${s}**` : s);
  return `| ${b(name)} | ${b(n(r.files))} | ${b(mb(r.bytes))} | ${b(mb(r.trainBytes))} | ${b(n(r.heldFiles))} | ${b(mb(r.heldBytes))} |`;
};
console.log('| kind / language | files | MB | train MB | held-out files | held-out MB |');
console.log('| --- | ---: | ---: | ---: | ---: | ---: |');
let total = zero;
for (const kind of ['code', 'prose', 'english']) {
  const mine = [...rows.values()].filter((r) => r.kind === kind).sort((a, b) => b.bytes - a.bytes);
  if (mine.length === 0) continue;
  let sum = zero;
  for (const r of mine) {
    console.log(line(NAMES[r.lang] ?? r.lang, r));
    sum = add(sum, r);
  }
  console.log(line(KIND_NAMES[kind], sum, true));
  total = add(total, sum);
}
console.log(line('total', total, true));

// ---- sources
console.log('\n| source | version | licence | found files / MB | selected files / MB |');
console.log('| --- | --- | --- | ---: | ---: |');
for (const s of manifest.sources) {
  const reg = s.registry === 'npm' ? 'npm' : 'Debian';
  console.log(`| ${reg} \`${s.package}\` | ${s.version} | ${s.license} | ${n(s.found.files)} / ${mb(s.found.bytes)} | ${n(s.selected.files)} / ${mb(s.selected.bytes)} |`);
}
console.log(`\n${manifest.sources.length} sources; ${n(manifest.totals.docs)} documents, ${mb(manifest.totals.bytes)} MB selected.`);
