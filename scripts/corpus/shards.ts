// Splits the selected documents into train and held-out sets by hash and writes them as text shards.
import { createHash } from 'node:crypto';
import { promises as fs } from 'node:fs';
import path from 'node:path';

/** Every document in a shard ends with this: a blank line, then a line holding only a form feed. */
export const DOC_END = '\n\n\f\n';

/** Recovers the documents of a shard (documents never contain a form feed: normalization removes them). */
export function splitShard(text: string): string[] {
  return text.split(DOC_END).filter((d, i, all) => i < all.length - 1 || d.length > 0);
}

export interface Doc {
  /** `<source id>/<path inside the package>`: stable across machines, decides the split and the order. */
  readonly key: string;
  readonly source: string;
  readonly path: string;
  readonly lang: string;
  /** 'english': general English prose (dictionaries, public-domain texts), held out as its own slice. */
  readonly kind: 'code' | 'prose' | 'english';
  readonly text: string;
  readonly bytes: number;
  readonly sha256: string;
}

export interface ShardFile {
  /** Relative to the corpus folder. */
  readonly file: string;
  readonly docs: number;
  readonly bytes: number;
  readonly sha256: string;
}

/** A uniform number in [0, 1) from a salted SHA-256 of the key. */
export function unitHash(salt: string, key: string): number {
  return createHash('sha256').update(`${salt}\u0000${key}`).digest().readUIntBE(0, 6) / 2 ** 48;
}

/** Held out when the key hashes below the fraction: a file's side never depends on which other files exist. */
export function isHeldOut(key: string, fraction: number): boolean {
  return unitHash('cloze-valid', key) < fraction;
}

/** Interleaves sources (a shard is a sample of the whole mix) in an order fixed by the keys alone. */
export function shuffleOrder<T extends { readonly key: string }>(docs: readonly T[]): T[] {
  return docs.map((d) => ({ d, u: createHash('sha256').update(`cloze-order\u0000${d.key}`).digest('hex') }))
    .sort((a, b) => (a.u < b.u ? -1 : a.u > b.u ? 1 : 0))
    .map((x) => x.d);
}

/**
 * Writes `docs` (already ordered) into `dir/shard-NNN.txt`, starting a new shard before one would pass
 * `maxBytes`. Returns the shards and, per document key, the shard it went to.
 */
export async function writeShards(corpusDir: string, dir: string, docs: readonly Doc[], maxBytes: number): Promise<{ shards: ShardFile[]; where: Map<string, string> }> {
  await fs.mkdir(path.join(corpusDir, dir), { recursive: true });
  const shards: ShardFile[] = [];
  const where = new Map<string, string>();
  let parts: string[] = [];
  let bytes = 0;
  const flush = async (): Promise<void> => {
    if (parts.length === 0) return;
    const file = `${dir}/shard-${String(shards.length).padStart(3, '0')}.txt`;
    const body = parts.join('');
    await fs.writeFile(path.join(corpusDir, file), body);
    shards.push({ file, docs: parts.length, bytes: Buffer.byteLength(body), sha256: createHash('sha256').update(body).digest('hex') });
    parts = [];
    bytes = 0;
  };
  for (const d of docs) {
    const chunk = d.text + DOC_END;
    const n = Buffer.byteLength(chunk);
    if (bytes > 0 && bytes + n > maxBytes) await flush();
    parts.push(chunk);
    bytes += n;
    where.set(d.key, `${dir}/shard-${String(shards.length).padStart(3, '0')}.txt`);
  }
  await flush();
  return { shards, where };
}
