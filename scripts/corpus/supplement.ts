// Narrative English for the v2 model's last phase, which the corpus lacks (its general English is dictionaries): Jane
// Austen's six novels, as Debian ships them in r-cran-janeaustenr. Built beside the corpus, not into it, so that the
// corpus, its tokenizer sample and the documents the earlier phases trained on stay exactly as they were.
// usage: node out/scripts/corpus/supplement.js [.corpus]   (after `tsc -p scripts/corpus`; writes .corpus/supplement/)
import { createHash } from 'node:crypto';
import { promises as fs } from 'node:fs';
import path from 'node:path';
import { fetchSource } from './fetch';
import { readLazyLoadStrings } from './rdata';
import { isHeldOut } from './shards';
import type { SourceSpec } from './sources';
import { chunkText, normalizeText } from './text';

const SOURCE: SourceSpec = {
  id: 'debian/r-cran-janeaustenr',
  registry: 'debian',
  package: 'r-cran-janeaustenr',
  version: '1.0.0-1',
  members: ['./usr/lib/R/site-library/janeaustenr/data/*'],
  include: [/Rdata\.rd[bx]$/],
  capBytes: 10_000_000,
  // The package (R code and data layout) is MIT; the novels themselves (1811–1818) are in the public domain.
  license: 'MIT AND public-domain',
};
const DATA = 'usr/lib/R/site-library/janeaustenr/data';
/** As the corpus: documents of about 32 KB cut at blank lines, 3% held out by a hash of the key. */
const CHUNK_BYTES = 32_000;
const VALID_FRACTION = 0.03;

/** The novel's lines, hard-wrapped at ~70 characters, as paragraphs: one line each, a blank line between. */
function paragraphs(lines: readonly string[]): string {
  return lines.join('\n').split(/\n[ \t]*\n+/).map((p) => p.replace(/\s*\n\s*/g, ' ').trim()).filter(Boolean).join('\n\n');
}

async function main(): Promise<void> {
  const corpusDir = path.resolve(process.argv[2] ?? '.corpus');
  const out = path.join(corpusDir, 'supplement');
  const fetched = await fetchSource(SOURCE, corpusDir);
  const novels = readLazyLoadStrings(await fs.readFile(path.join(fetched.root, DATA, 'Rdata.rdx')), await fs.readFile(path.join(fetched.root, DATA, 'Rdata.rdb')), 'janeaustenr');
  if (novels.size === 0) throw new Error(`${SOURCE.id}: no character data in ${DATA}`);
  for (const sub of ['train', 'valid']) {
    await fs.rm(path.join(out, sub), { recursive: true, force: true });
    await fs.mkdir(path.join(out, sub), { recursive: true });
  }
  const documents: { key: string; file: string; split: 'train' | 'valid'; bytes: number; sha256: string }[] = [];
  for (const name of [...novels.keys()].sort()) {
    const chunks = chunkText(normalizeText(paragraphs(novels.get(name)!)), CHUNK_BYTES);
    for (const [k, chunk] of chunks.entries()) {
      const text = normalizeText(chunk);
      const key = `${SOURCE.id}/${name}#${String(k).padStart(4, '0')}`;
      const split = isHeldOut(key, VALID_FRACTION) ? 'valid' : 'train';
      const file = `austen-${name}-${String(k).padStart(4, '0')}.txt`;
      await fs.writeFile(path.join(out, split, file), text + '\n');
      documents.push({ key, file, split, bytes: Buffer.byteLength(text), sha256: createHash('sha256').update(text).digest('hex') });
    }
  }
  const sum = (split: string) => documents.filter((d) => d.split === split).reduce((s, d) => s + d.bytes, 0);
  const manifest = {
    name: 'cloze corpus supplement: narrative English',
    command: 'node out/scripts/corpus/supplement.js .corpus',
    source: { id: SOURCE.id, package: SOURCE.package, version: fetched.version, license: SOURCE.license, copyrightLicenses: fetched.copyrightLicenses, artifact: fetched.artifact, artifactSha256: fetched.artifactSha256 },
    novels: [...novels].map(([name, lines]) => ({ name, lines: lines.length })),
    totals: { documents: documents.length, trainBytes: sum('train'), validBytes: sum('valid'), validDocuments: documents.filter((d) => d.split === 'valid').length },
    documents,
  };
  await fs.writeFile(path.join(out, 'manifest.json'), JSON.stringify(manifest, null, 2) + '\n');
  console.log(`${out}: ${documents.length} documents, train ${(sum('train') / 1e6).toFixed(2)} MB, held out ${(sum('valid') / 1e6).toFixed(2)} MB (${manifest.totals.validDocuments} documents)`);
}

main().catch((e: unknown) => {
  console.error(e instanceof Error ? e.message : String(e));
  process.exit(1);
});
