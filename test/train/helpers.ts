// Shared by the train tests: fixture paths, ORT sessions from our graphs, reading reference logits.
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import * as ort from 'onnxruntime-node';
import { Tokenizer } from 'tokenizers';
import { Batch } from '../../src/train/batch';
import { Graph } from '../../src/train/onnx/graph';
import { encodeModel } from '../../src/train/onnx/proto';

import { fixturesDir } from '../paths';

export { FIXTURES, fixturesDir, repoRoot } from '../paths';

export interface ReferenceCase {
  name: string;
  input_ids: number[][];
  attention_mask: number[][];
  token_type_ids?: number[][];
  masks: { batch_index: number; position: number; top_ids: number[]; top_logits: number[] }[];
  logits_file?: string;
  logits_shape?: number[];
}

/** Real text the project keeps as test data (test/fixtures/corpus: semver's and mocha's JavaScript), in a fixed order. */
function realTextFiles(): string[] {
  const js = (pkg: string, n: number) => {
    const dir = path.join(fixturesDir, 'corpus', 'source', pkg);
    return readdirSync(dir, { recursive: true, encoding: 'utf8' }).filter((f) => f.endsWith('.js')).sort().slice(0, n).map((f) => path.join(dir, f));
  };
  return [...js('mocha', 6), ...js('semver', 12)];
}

export function referenceCases(fixture: string): ReferenceCase[] {
  return (JSON.parse(readFileSync(path.join(fixturesDir, fixture, 'reference.json'), 'utf8')) as { cases: ReferenceCase[] }).cases;
}

export function readF32(file: string): Float32Array {
  const b = readFileSync(file);
  return new Float32Array(b.buffer.slice(b.byteOffset, b.byteOffset + b.byteLength));
}

export function int64Tensor(rows: number[][]): ort.Tensor {
  return new ort.Tensor('int64', BigInt64Array.from(rows.flat(), (v) => BigInt(v)), [rows.length, rows[0].length]);
}

export async function sessionOf(g: Graph, threads = 1): Promise<ort.InferenceSession> {
  return ort.InferenceSession.create(encodeModel(g.toProto()), { intraOpNumThreads: threads, interOpNumThreads: 1 });
}

/** A seeded uniform [0, 1) generator (mulberry32) so tests are reproducible. */
export function seeded(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/**
 * Masked-LM batches of real text (the test corpus's JavaScript), tokenized with a fixture's
 * tokenizer, packed into [CLS] … [SEP] rows and masked 15% (80% mask / 10% random / 10% kept), seeded.
 * Deliberately simple and independent of the product's collator.
 */
export async function realTextBatches(fixture: string, shape: { batch: number; seq: number; maxMasked: number }, count: number, seed: number): Promise<Batch[]> {
  const dir = path.join(fixturesDir, fixture);
  const tokenizer = Tokenizer.fromFile(path.join(dir, 'tokenizer.json'));
  const special = JSON.parse(readFileSync(path.join(dir, 'special_tokens_map.json'), 'utf8')) as Record<string, string | { content: string }>;
  const idOf = (key: string) => {
    const v = special[key];
    const id = tokenizer.tokenToId(typeof v === 'string' ? v : v.content);
    if (id === null || id === undefined) throw new Error(`${fixture}: no id for ${key}`);
    return id;
  };
  const [cls, sep, mask] = [idOf('cls_token'), idOf('sep_token'), idOf('mask_token')];
  const vocab = tokenizer.getVocabSize(true);
  const sources = realTextFiles();
  const stream: number[] = [];
  for (const f of sources) stream.push(...(await tokenizer.encode(readFileSync(f, 'utf8'), null, { addSpecialTokens: false })).getIds());
  const rng = seeded(seed);
  const body = shape.seq - 2;
  const batches: Batch[] = [];
  let cursor = 0;
  for (let n = 0; n < count; n++) {
    const ids = new BigInt64Array(shape.batch * shape.seq);
    const positions: number[] = [];
    const labels: number[] = [];
    for (let r = 0; r < shape.batch; r++) {
      if (cursor + body > stream.length) cursor = 0;
      const row = [cls, ...stream.slice(cursor, cursor + body), sep];
      cursor += body;
      row.forEach((id, s) => {
        const flat = r * shape.seq + s;
        let input = id;
        if (s > 0 && s < row.length - 1 && labels.length < shape.maxMasked && rng() < 0.15) {
          positions.push(flat);
          labels.push(id);
          const roll = rng();
          input = roll < 0.8 ? mask : roll < 0.9 ? Math.floor(rng() * vocab) : id;
        }
        ids[flat] = BigInt(input);
      });
    }
    while (labels.length < shape.maxMasked) {
      positions.push(0);
      labels.push(-100);
    }
    batches.push({
      ...shape,
      inputIds: ids,
      attentionMask: new BigInt64Array(ids.length).fill(1n),
      maskedPositions: BigInt64Array.from(positions, BigInt),
      labels: BigInt64Array.from(labels, BigInt),
    });
  }
  return batches;
}
