// Picks the float32, fused float32 or int8 graph of a model folder (cloze.precision), trusting the last two under "auto" only when measured.
import { promises as fs } from 'node:fs';
import path from 'node:path';
import { errorText } from './errors';
import { isFile, readCappedText } from './paths';

/** auto: int8 where the folder's recorded measurement vouches for it, else fp32. */
export type Precision = 'auto' | 'fp32' | 'int8';
export const PRECISIONS: readonly Precision[] = ['auto', 'fp32', 'int8'];

/** The dynamically quantised graph, beside `onnx/model_masked.onnx` (transformers.js names its own model_quantized.onnx). */
export const QUANTIZED_GRAPH = 'onnx/model_masked_quantized.onnx';
/** What `cloze quantize` measured when it wrote the graph. */
export const QUANTIZATION_RECORD = 'onnx/quantization.json';
/** auto picks int8 only at this top-1 agreement with fp32 on held-out masks (or better) … */
export const AUTO_MIN_AGREEMENT = 0.99;
/** … and only where int8 filled faster than fp32 (paired median time ratio fp32 / int8 above 1). */
export const AUTO_MIN_SPEEDUP = 1;

export interface QuantizationRecord {
  readonly version: 1;
  /** The float graph it was made from, relative to the model folder, and that file's size then. */
  readonly source: string;
  readonly sourceBytes: number;
  /** Size of the quantised graph as written: a record for another graph is not trusted. */
  readonly graphBytes: number;
  readonly weightType: 'int8' | 'uint8';
  readonly quantizedMatMuls: number;
  readonly floatMatMuls: readonly string[];
  /** Top-1 agreement int8 vs fp32 on held-out masks; null when nothing was measured. */
  readonly agreement: number | null;
  readonly top1Fp32: number | null;
  readonly top1Int8: number | null;
  readonly maxAbsLogitDelta: number | null;
  readonly maskedTokens: number;
  /** Paired median of fp32 ms / int8 ms per fill, measured interleaved in one process; null when not measured. */
  readonly speedup: number | null;
  readonly fp32Ms: number | null;
  readonly int8Ms: number | null;
  readonly createdAt: string;
}

/** The same float model on ORT's contrib ops (Attention, BiasGelu: src/train/fusedGraph.ts), head at the masks. */
export const FUSED_GRAPH = 'onnx/model_masked_fused.onnx';
/** What `cloze fuse` measured when it wrote the fused graph. */
export const FUSED_RECORD = 'onnx/fused.json';
/** auto picks the fused graph only where its logits were within this of the float graph's (max |Δ|) … */
export const FUSED_MAX_LOGIT_DELTA = 1e-4;
/**
 * … and only where it was at least this much faster (paired median float / fused): on 2 loaded cores one `cloze fuse`
 * run of the 4 × 256 bench model measured anywhere from 0.61× to 1.42×, so a small measured gain is not trusted.
 */
export const FUSED_MIN_SPEEDUP = 1.1;

export interface FusedRecord {
  readonly version: 1;
  /** The float graph it was measured against, relative to the model folder, and that file's size then. */
  readonly source: string;
  readonly sourceBytes: number;
  readonly graphBytes: number;
  /** Max |logit difference| fused vs source over a padded batch, every position and vocabulary entry. */
  readonly maxAbsLogitDelta: number;
  /** Paired median of source ms / fused ms per run, interleaved in one process (> 1: fused is faster). */
  readonly speedup: number;
  readonly sourceMs: number;
  readonly fusedMs: number;
  readonly windowTokens: number;
  readonly createdAt: string;
}

export interface PrecisionChoice {
  readonly onnxPath: string;
  readonly precision: 'fp32' | 'int8';
  /** Why, in words for the log. */
  readonly reason: string;
}

const RECORD_BYTES = 64 * 1024;

async function readJsonRecord<T>(dir: string, name: string): Promise<T | string> {
  const file = path.join(dir, name);
  if (!(await isFile(file))) return `no ${name}`;
  try {
    const v: unknown = JSON.parse(await readCappedText(file, { what: name, maxBytes: RECORD_BYTES }, 'model-corrupt'));
    if (typeof v !== 'object' || v === null || (v as { version?: unknown }).version !== 1) return `${name} is not a version-1 record`;
    return v as T;
  } catch (e) {
    return `${name} is unreadable (${errorText(e)})`;
  }
}

/**
 * The graph to load from the (resolved) model folder `dir`, whose float graph is `fp32Path`:
 * - fp32: always `fp32Path`.
 * - int8: the quantised graph when the folder has one, else fp32 (the reason says to run `cloze quantize`).
 * - auto: int8 only when the folder has the quantised graph and a quantization.json for exactly these two files
 *   (same float source, same sizes) recording top-1 agreement ≥ 99% and a speed-up > 1; otherwise the fused float
 *   graph under the same kind of rule (fused.json: parity ≤ 1e-4 and a speed-up ≥ 1.1); otherwise `fp32Path`.
 */
export async function choosePrecision(dir: string, fp32Path: string, precision: Precision): Promise<PrecisionChoice> {
  const chosen = await chooseInt8(dir, fp32Path, precision);
  if (precision !== 'auto' || chosen.precision !== 'fp32') return chosen;
  // auto without a vouched-for int8 graph: the fused float graph where its own measurement vouches for it.
  const fused = await chooseFused(dir, fp32Path);
  return typeof fused === 'string' ? { ...chosen, reason: `${chosen.reason}; ${fused}` } : { ...fused, reason: `${fused.reason} (${chosen.reason})` };
}

/**
 * The fused graph when the folder has it and a fused.json for exactly this float graph and that file recording
 * parity (max |Δlogit| ≤ FUSED_MAX_LOGIT_DELTA) and a speed-up ≥ FUSED_MIN_SPEEDUP; else why not.
 */
async function chooseFused(dir: string, fp32Path: string): Promise<PrecisionChoice | string> {
  const graph = path.join(dir, FUSED_GRAPH);
  if (!(await isFile(graph))) return `no ${FUSED_GRAPH}`;
  const rec = await readJsonRecord<FusedRecord>(dir, FUSED_RECORD);
  if (typeof rec === 'string') return `fused: ${rec}`;
  const [graphBytes, sourceBytes] = await Promise.all([fs.stat(graph).then((s) => s.size), fs.stat(fp32Path).then((s) => s.size)]);
  if (rec.graphBytes !== graphBytes || rec.sourceBytes !== sourceBytes || path.join(dir, rec.source) !== fp32Path) {
    return `fused: ${FUSED_RECORD} describes other files than ${path.relative(dir, fp32Path)} and ${FUSED_GRAPH}; run "cloze fuse" again`;
  }
  if (typeof rec.maxAbsLogitDelta !== 'number' || !(rec.maxAbsLogitDelta <= FUSED_MAX_LOGIT_DELTA)) return `fused: max |Δlogit| ${String(rec.maxAbsLogitDelta)} over ${FUSED_MAX_LOGIT_DELTA}`;
  if (typeof rec.speedup !== 'number' || !(rec.speedup >= FUSED_MIN_SPEEDUP)) return `fused: not ${FUSED_MIN_SPEEDUP}× faster when measured (float/fused time ${typeof rec.speedup === 'number' ? rec.speedup.toFixed(2) : 'not measured'})`;
  return { onnxPath: graph, precision: 'fp32', reason: `auto: fused graph, max |Δlogit| ${rec.maxAbsLogitDelta.toExponential(1)}, ${rec.speedup.toFixed(2)}× faster` };
}

/** fp32 / int8 / auto between the float graph and the int8 one (see choosePrecision). */
async function chooseInt8(dir: string, fp32Path: string, precision: Precision): Promise<PrecisionChoice> {
  const fp32 = (reason: string): PrecisionChoice => ({ onnxPath: fp32Path, precision: 'fp32', reason });
  if (precision === 'fp32') return fp32('precision fp32');
  const graph = path.join(dir, QUANTIZED_GRAPH);
  if (!(await isFile(graph))) return fp32(`no ${QUANTIZED_GRAPH} in the model folder${precision === 'int8' ? ' (run "cloze quantize <model folder>" to make one)' : ''}`);
  if (precision === 'int8') return { onnxPath: graph, precision: 'int8', reason: 'precision int8' };
  const rec = await readJsonRecord<QuantizationRecord>(dir, QUANTIZATION_RECORD);
  if (typeof rec === 'string') return fp32(`auto: ${rec}`);
  const [graphBytes, sourceBytes] = await Promise.all([fs.stat(graph).then((s) => s.size), fs.stat(fp32Path).then((s) => s.size)]);
  if (rec.graphBytes !== graphBytes || rec.sourceBytes !== sourceBytes || path.join(dir, rec.source) !== fp32Path) {
    return fp32(`auto: ${QUANTIZATION_RECORD} describes other files than ${path.relative(dir, fp32Path)} and ${QUANTIZED_GRAPH}; run "cloze quantize" again`);
  }
  if (typeof rec.agreement !== 'number' || rec.agreement < AUTO_MIN_AGREEMENT) {
    return fp32(`auto: int8 top-1 agreement ${typeof rec.agreement === 'number' ? `${(100 * rec.agreement).toFixed(2)}%` : 'not measured'} (needs ≥ ${100 * AUTO_MIN_AGREEMENT}%)`);
  }
  if (typeof rec.speedup !== 'number' || !(rec.speedup > AUTO_MIN_SPEEDUP)) {
    return fp32(`auto: int8 was not faster when measured (fp32/int8 time ${typeof rec.speedup === 'number' ? rec.speedup.toFixed(2) : 'not measured'})`);
  }
  return { onnxPath: graph, precision: 'int8', reason: `auto: agreement ${(100 * rec.agreement).toFixed(2)}%, ${rec.speedup.toFixed(2)}× faster` };
}
