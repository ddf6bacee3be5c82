// Shared by the train tests: fixture paths, ORT sessions from our graphs, reading reference logits.
import { readFileSync } from 'node:fs';
import path from 'node:path';
import * as ort from 'onnxruntime-node';
import { Graph } from '../../src/train/onnx/graph';
import { encodeModel } from '../../src/train/onnx/proto';

export const repoRoot = path.resolve(__dirname, '..', '..', '..');
export const fixturesDir = path.resolve(repoRoot, '..', 'shared', 'fixtures');
export const FIXTURES = ['bert-tiny-wordpiece', 'roberta-tiny-bpe'] as const;

export interface ReferenceCase {
  name: string;
  input_ids: number[][];
  attention_mask: number[][];
  token_type_ids?: number[][];
  masks: { batch_index: number; position: number; top_ids: number[]; top_logits: number[] }[];
  logits_file?: string;
  logits_shape?: number[];
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
