// Splits a model.safetensors into two shards plus model.safetensors.index.json, as transformers' save_pretrained does
// for checkpoints over max_shard_size, so sharded loading is tested on the fixtures' real weights.
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { encodeSafetensors, parseSafetensors, type SafeTensorOut } from '../src/core/safetensors';

export const SHARDS = ['model-00001-of-00002.safetensors', 'model-00002-of-00002.safetensors'];

/** Writes the tensors of `weights` into `dir` as two shards (by name order, about half the bytes each) and the index. */
export function writeShards(weights: string, dir: string): void {
  const st = parseSafetensors(readFileSync(weights));
  const names = [...st.tensors.keys()].sort();
  const total = names.reduce((a, n) => a + st.read(n).byteLength, 0);
  const parts: Map<string, SafeTensorOut>[] = [new Map(), new Map()];
  const weightMap: Record<string, string> = {};
  let at = 0;
  for (const n of names) {
    const data = st.read(n);
    const i = at < total / 2 ? 0 : 1;
    parts[i].set(n, { shape: st.tensors.get(n)!.shape, data });
    weightMap[n] = SHARDS[i];
    at += data.byteLength;
  }
  if (!parts[1].size) throw new Error('one tensor holds more than half the bytes; nothing to split');
  parts.forEach((p, i) => writeFileSync(path.join(dir, SHARDS[i]), encodeSafetensors(p, { format: 'pt' })));
  writeFileSync(path.join(dir, 'model.safetensors.index.json'), JSON.stringify({ metadata: { total_size: total }, weight_map: weightMap }, null, 2));
}
