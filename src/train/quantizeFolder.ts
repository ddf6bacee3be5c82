// Writes a model folder's int8 graph and the measurement that lets cloze.precision "auto" choose it (precision.ts).
import { promises as fs } from 'node:fs';
import path from 'node:path';
import { writeAtomic } from '../core/atomicFile';
import { Engine } from '../core/engine';
import { ClozeError, errorText } from '../core/errors';
import { readModelFolder } from '../core/modelFolder';
import { resolveModelDir } from '../core/modelPointer';
import { AUTO_MIN_AGREEMENT, QUANTIZATION_RECORD, QUANTIZED_GRAPH, type QuantizationRecord } from '../core/precision';
import { decodeModel, onnx } from './onnx/proto';
import { quantizeModel, type QuantizeReport, type WeightType } from './onnx/quantize';
import { measureAgreement, measureLatency, type AgreementResult, type LatencyResult } from './quantizeCheck';

export interface QuantizeFolderOptions {
  readonly weightType?: WeightType;
  /**
   * int8: quantise the MLM head (dense transform and decoder) too; float: keep it; auto: float where the graph computes
   * the head only at the masks (it costs next to nothing there), else int8 unless keeping it float agrees better (measured).
   */
  readonly head?: 'auto' | 'int8' | 'float';
  /** Held-out texts to measure agreement and speed on; without them the record says "not measured" and auto stays fp32. */
  readonly heldOut?: readonly string[];
  readonly threads?: number;
  readonly maxMasked?: number;
  readonly log?: (line: string) => void;
}

export interface QuantizeFolderResult {
  readonly graph: string;
  readonly record: QuantizationRecord;
}

async function measure(dir: string, heldOut: readonly string[], opts: QuantizeFolderOptions): Promise<{ agreement: AgreementResult; latency: LatencyResult }> {
  const fp32 = await Engine.load(dir, { devices: ['cpu'], threads: opts.threads, precision: 'fp32' });
  try {
    const int8 = await Engine.load(dir, { devices: ['cpu'], threads: opts.threads, precision: 'int8' });
    try {
      if (int8.info.precision !== 'int8') throw new ClozeError('model-corrupt', `The int8 graph was written but ${QUANTIZED_GRAPH} did not load as int8; check the folder's permissions.`);
      const agreement = await measureAgreement(fp32, int8, heldOut, { maxMasked: opts.maxMasked });
      const latency = await measureLatency(fp32, int8, heldOut.slice(0, 12));
      return { agreement, latency };
    } finally {
      await int8.dispose();
    }
  } finally {
    await fp32.dispose();
  }
}

/**
 * Quantises the float graph of the model folder `folder` (following its cloze-current.json pointer) into
 * `onnx/model_masked_quantized.onnx`, measures it against the float graph on `heldOut` when given, and writes
 * `onnx/quantization.json`. The float graph is left untouched.
 */
export async function quantizeFolder(folder: string, opts: QuantizeFolderOptions = {}): Promise<QuantizeFolderResult> {
  const dir = await resolveModelDir(path.resolve(folder));
  const files = await readModelFolder(dir, { precision: 'fp32' });
  const source = files.onnxPath;
  const sourceBytes = await fs.readFile(source);
  const graph = path.join(dir, QUANTIZED_GRAPH);
  const heldOut = opts.heldOut ?? [];
  const log = opts.log ?? (() => undefined);

  const build = async (keepHead: boolean): Promise<{ report: QuantizeReport; data: Uint8Array; measured?: { agreement: AgreementResult; latency: LatencyResult } }> => {
    let model: onnx.ModelProto;
    try {
      model = decodeModel(sourceBytes);
    } catch (e) {
      throw new ClozeError('model-corrupt', `${path.relative(dir, source)} is not a readable ONNX model, so it cannot be quantised; re-export the model.`, errorText(e));
    }
    const report = quantizeModel(model, { weightType: opts.weightType, keepHead });
    if (report.quantized.length === 0) throw new ClozeError('model-inputs', `${path.relative(dir, source)} has no MatMul with a constant 2-D weight to quantise; only BERT-style encoder exports are supported.`);
    const bytes = onnx.ModelProto.encode(model).finish();
    await writeAtomic(graph, bytes);
    log(`${QUANTIZED_GRAPH}: ${report.quantized.length} MatMuls in int8${report.kept.length ? `, kept float: ${report.kept.map((k) => `${k.node} (${k.reason})`).join(', ')}` : ''} (${(bytes.length / 1e6).toFixed(1)} MB)`);
    if (heldOut.length === 0) return { report, data: bytes };
    const measured = await measure(dir, heldOut, opts);
    const a = measured.agreement;
    log(`  top-1 agreement ${(100 * a.agreement).toFixed(2)}% on ${a.maskedTokens} masks; top-1 fp32 ${(100 * a.top1Fp32).toFixed(2)}%, int8 ${(100 * a.top1Int8).toFixed(2)}%; max |Δlogit| ${a.maxAbsLogitDelta.toFixed(3)}; fp32/int8 time ${measured.latency.speedup.toFixed(2)}`);
    return { report, data: bytes, measured };
  };

  const head = opts.head ?? 'auto';
  let headAtMasks = false;
  try {
    headAtMasks = (decodeModel(sourceBytes).graph?.input ?? []).some((i) => i.name === 'mask_positions');
  } catch {
    // build() reports an unreadable graph with advice.
  }
  let built = await build(head === 'float' || (head === 'auto' && headAtMasks));
  if (head === 'auto' && !headAtMasks && built.measured && built.measured.agreement.agreement < AUTO_MIN_AGREEMENT) {
    log('Agreement is under the auto threshold; trying again with the vocabulary head in float.');
    const alt = await build(true);
    if (alt.measured && alt.measured.agreement.agreement > built.measured.agreement.agreement) built = alt;
    else await writeAtomic(graph, built.data);
  }
  const m = built.measured;
  const record: QuantizationRecord = {
    version: 1,
    source: path.relative(dir, source),
    sourceBytes: sourceBytes.length,
    graphBytes: built.data.length,
    weightType: opts.weightType ?? 'int8',
    quantizedMatMuls: built.report.quantized.length,
    floatMatMuls: built.report.kept.map((k) => k.node),
    agreement: m?.agreement.agreement ?? null,
    top1Fp32: m?.agreement.top1Fp32 ?? null,
    top1Int8: m?.agreement.top1Int8 ?? null,
    maxAbsLogitDelta: m?.agreement.maxAbsLogitDelta ?? null,
    maskedTokens: m?.agreement.maskedTokens ?? 0,
    speedup: m?.latency.speedup ?? null,
    fp32Ms: m?.latency.fp32Ms ?? null,
    int8Ms: m?.latency.int8Ms ?? null,
    createdAt: new Date().toISOString(),
  };
  await writeAtomic(path.join(dir, QUANTIZATION_RECORD), JSON.stringify(record, null, 2) + '\n');
  return { graph, record };
}
