// Writes a model folder's fused float graph and the measurement (parity, speed) that lets cloze.precision "auto" choose it.
import { promises as fs } from 'node:fs';
import path from 'node:path';
import * as ort from 'onnxruntime-node';
import { writeAtomic } from '../core/atomicFile';
import { ClozeError, errorText } from '../core/errors';
import { readModelFolder } from '../core/modelFolder';
import { resolveModelDir } from '../core/modelPointer';
import { FUSED_GRAPH, FUSED_MAX_LOGIT_DELTA, FUSED_RECORD, type FusedRecord } from '../core/precision';
import { encodeFusedModel, fusedInferenceGraph, type FusedGraphOptions } from './fusedGraph';
import { importModel } from './import';
import { BertConfig } from './model';
import { halveWeights } from './onnx/halfWeights';
import { decodeModel, onnx } from './onnx/proto';
import { Rng } from './rng';

export interface FuseFolderOptions {
  readonly threads?: number;
  /** Timed runs of each graph (after 5 warm-up runs), interleaved; default 30. */
  readonly rounds?: number;
  /** Tokens of the timed input; default min(256, the model's limit). */
  readonly windowTokens?: number;
  readonly graph?: Omit<FusedGraphOptions, 'maskedPositions'>;
  readonly log?: (line: string) => void;
}

export interface FuseFolderResult {
  readonly graph: string;
  readonly record: FusedRecord;
}

/** Token ids [rows][seq] and their attention mask: `lengths[r]` real tokens (never the pad id), then padding. */
function paddedBatch(cfg: BertConfig, seq: number, lengths: readonly number[], seed: number): { ids: number[][]; mask: number[][] } {
  const rnd = Rng.fromSeed(seed).uniform();
  const ids = lengths.map((n) => Array.from({ length: seq }, (_, s) => {
    if (s >= n) return cfg.padTokenId;
    const id = Math.floor(rnd() * (cfg.vocabSize - 1));
    return id >= cfg.padTokenId ? id + 1 : id;
  }));
  return { ids, mask: lengths.map((n) => Array.from({ length: seq }, (_, s) => (s < n ? 1 : 0))) };
}

/** Feeds by the session's own input names; `maskPositions` only where the graph takes them. */
function feeds(session: ort.InferenceSession, ids: number[][], mask: number[][], maskPositions: number[][]): Record<string, ort.Tensor> {
  const int64 = (rows: number[][]) => new ort.Tensor('int64', BigInt64Array.from(rows.flat(), (v) => BigInt(v)), [rows.length, rows[0].length]);
  const out: Record<string, ort.Tensor> = {};
  for (const name of session.inputNames) {
    if (name === 'input_ids') out[name] = int64(ids);
    else if (name === 'attention_mask') out[name] = int64(mask);
    else if (name === 'token_type_ids') out[name] = int64(ids.map((r) => r.map(() => 0)));
    else if (name === 'mask_positions') out[name] = int64(maskPositions);
    else throw new ClozeError('model-inputs', `The float graph takes an input "${name}" that the fused graph has no counterpart for.`);
  }
  return out;
}

/** Max |a − b| over logits [rows, positions, vocab] of two runs that both computed every position. */
async function maxDelta(a: ort.InferenceSession, b: ort.InferenceSession, cfg: BertConfig, seq: number): Promise<number> {
  const { ids, mask } = paddedBatch(cfg, seq, [seq, Math.max(3, seq >> 1), 3], 7);
  const every = ids.map((r) => r.map((_, s) => s));
  const x = (await a.run(feeds(a, ids, mask, every))).logits;
  const y = (await b.run(feeds(b, ids, mask, every))).logits;
  if (x.dims.join() !== y.dims.join()) throw new ClozeError('model-inputs', `The fused graph's logits are [${y.dims.join(', ')}], the float graph's [${x.dims.join(', ')}].`);
  const xd = x.data as Float32Array;
  const yd = y.data as Float32Array;
  let worst = 0;
  for (let i = 0; i < xd.length; i++) {
    const d = Math.abs(xd[i] - yd[i]);
    // NaN anywhere is a failure, not a zero difference.
    if (Number.isNaN(d)) return Infinity;
    if (d > worst) worst = d;
  }
  return worst;
}

/** Paired median of (a ms / b ms) over interleaved rounds, and each side's median ms. */
async function timeBoth(a: ort.InferenceSession, b: ort.InferenceSession, cfg: BertConfig, seq: number, rounds: number): Promise<{ speedup: number; aMs: number; bMs: number }> {
  const { ids, mask } = paddedBatch(cfg, seq, [seq], 11);
  const fa = feeds(a, ids, mask, [[seq >> 1]]);
  const fb = feeds(b, ids, mask, [[seq >> 1]]);
  const ta: number[] = [];
  const tb: number[] = [];
  const time = async (s: ort.InferenceSession, f: Record<string, ort.Tensor>): Promise<number> => {
    const t0 = performance.now();
    await s.run(f);
    return performance.now() - t0;
  };
  for (let r = 0; r < rounds + 5; r++) {
    // Alternate which goes first so neither always runs on a cache the other warmed.
    let x: number, y: number;
    if (r % 2) {
      x = await time(a, fa);
      y = await time(b, fb);
    } else {
      y = await time(b, fb);
      x = await time(a, fa);
    }
    if (r >= 5) {
      ta.push(x);
      tb.push(y);
    }
  }
  const median = (v: number[]) => {
    const s = [...v].sort((p, q) => p - q);
    return s.length % 2 ? s[s.length >> 1] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
  };
  return { speedup: median(ta.map((v, i) => v / tb[i])), aMs: median(ta), bMs: median(tb) };
}

/**
 * Builds the fused graph (fusedGraph.ts, head at the masks) from the weights of the model folder `folder` (following
 * its cloze-current.json pointer; our exports and Hugging Face BERT / RoBERTa exports alike), checks its logits
 * against the folder's float graph on a padded batch (max |Δ| ≤ 1e-4, else nothing is written), times both
 * interleaved, and writes `onnx/model_masked_fused.onnx` and `onnx/fused.json`. Every other file is left as it was.
 * Weights the float graph stores as float16 are stored so in the fused graph too.
 */
export async function fuseFolder(folder: string, opts: FuseFolderOptions = {}): Promise<FuseFolderResult> {
  const dir = await resolveModelDir(path.resolve(folder));
  const files = await readModelFolder(dir, { precision: 'fp32' });
  const source = files.onnxPath;
  const sourceBytes = await fs.readFile(source);
  const log = opts.log ?? (() => undefined);
  const { config, params } = await importModel(dir);

  const model = decodeModel(encodeFusedModel(fusedInferenceGraph(config, params, { ...opts.graph, maskedPositions: true })));
  let sourceModel: onnx.ModelProto;
  try {
    sourceModel = decodeModel(sourceBytes);
  } catch (e) {
    throw new ClozeError('model-corrupt', `${path.relative(dir, source)} is not a readable ONNX model; re-export the model.`, errorText(e));
  }
  const halved = (sourceModel.graph?.initializer ?? []).some((t) => t.dataType === onnx.TensorProto.DataType.FLOAT16);
  if (halved) halveWeights(model);
  const data = onnx.ModelProto.encode(model).finish();

  const sessionOptions: ort.InferenceSession.SessionOptions = {
    executionProviders: ['cpu'],
    graphOptimizationLevel: 'all',
    logSeverityLevel: 3,
    ...(opts.threads ? { intraOpNumThreads: opts.threads, interOpNumThreads: 1 } : {}),
    // Without spin-waiting, so that neither session's time includes waiting out the other's idle threads.
    extra: { session: { intra_op: { allow_spinning: '0' } } },
  };
  const float = await ort.InferenceSession.create(sourceBytes, sessionOptions);
  try {
    const fused = await ort.InferenceSession.create(data, sessionOptions);
    try {
      const seq = Math.min(opts.windowTokens ?? 256, files.maxTokens);
      const delta = await maxDelta(float, fused, config, Math.min(seq, 64));
      log(`max |Δlogit| fused vs ${path.relative(dir, source)}: ${delta.toExponential(2)}`);
      if (!(delta <= FUSED_MAX_LOGIT_DELTA)) {
        throw new ClozeError('model-inputs', `The fused graph's logits differ from ${path.relative(dir, source)} by up to ${delta} (allowed ${FUSED_MAX_LOGIT_DELTA}); nothing was written.`);
      }
      const t = await timeBoth(float, fused, config, seq, opts.rounds ?? 30);
      log(`${seq} tokens: float ${t.aMs.toFixed(1)} ms, fused ${t.bMs.toFixed(1)} ms, paired float/fused ${t.speedup.toFixed(2)}×`);
      const graph = path.join(dir, FUSED_GRAPH);
      await writeAtomic(graph, data);
      const record: FusedRecord = {
        version: 1,
        source: path.relative(dir, source),
        sourceBytes: sourceBytes.length,
        graphBytes: data.length,
        maxAbsLogitDelta: delta,
        speedup: t.speedup,
        sourceMs: t.aMs,
        fusedMs: t.bMs,
        windowTokens: seq,
        createdAt: new Date().toISOString(),
      };
      await writeAtomic(path.join(dir, FUSED_RECORD), JSON.stringify(record, null, 2) + '\n');
      return { graph, record };
    } finally {
      await fused.release();
    }
  } finally {
    await float.release();
  }
}
