// Re-reads what the corpus run wrote and checks it holds what the manifest says, before anyone trains on it.
import { createHash } from 'node:crypto';
import { promises as fs } from 'node:fs';
import path from 'node:path';
import { classifyText } from '../../src/core/textKind';
import { splitShard, type ShardFile } from './shards';
import { EVAL_PATH } from './sources';

interface IndexedDoc {
  readonly key: string;
  readonly path: string;
  readonly sha256: string;
  readonly shard: string;
}

/**
 * Each shard splits back into exactly its documents (same hashes, same count), reads as `text` to the trainer's
 * own file filter (so `cloze train .corpus/train` skips none), and no document comes from an evaluation path.
 * Returns the problems found; empty means the output is sound.
 */
export async function verifyCorpus(corpusDir: string, shards: readonly ShardFile[]): Promise<string[]> {
  const problems: string[] = [];
  const docs = (await fs.readFile(path.join(corpusDir, 'documents.jsonl'), 'utf8')).trim().split('\n').map((l) => JSON.parse(l) as IndexedDoc);
  const byShard = new Map<string, IndexedDoc[]>();
  for (const d of docs) {
    if (EVAL_PATH.test(d.path)) problems.push(`${d.key} is on an evaluation path`);
    const list = byShard.get(d.shard) ?? [];
    list.push(d);
    byShard.set(d.shard, list);
  }
  for (const s of shards) {
    const bytes = await fs.readFile(path.join(corpusDir, s.file));
    if (createHash('sha256').update(bytes).digest('hex') !== s.sha256) problems.push(`${s.file}: content hash differs from the manifest`);
    const kind = classifyText(bytes, { path: s.file });
    if (kind.kind !== 'text') problems.push(`${s.file}: the trainer would skip it (${kind.reason})`);
    const parts = splitShard(bytes.toString('utf8'));
    if (parts.length !== s.docs) problems.push(`${s.file}: splits into ${parts.length} documents, the manifest says ${s.docs}`);
    const want = new Set((byShard.get(s.file) ?? []).map((d) => d.sha256));
    for (const p of parts) {
      const h = createHash('sha256').update(p).digest('hex');
      if (!want.delete(h)) problems.push(`${s.file}: a document (sha256 ${h.slice(0, 12)}…) is not in documents.jsonl`);
    }
    if (want.size > 0) problems.push(`${s.file}: ${want.size} documents of documents.jsonl are missing`);
  }
  return problems;
}
