// Reads a masked LM's weights from a Hugging Face layout folder (torch.onnx / Optimum export, or our own export),
// so that training can continue from an existing BERT or RoBERTa.
import { readFile } from 'node:fs/promises';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { BertConfig, PARAM, Params, configFromHF, paramShapes } from './model';
import { ClozeError, errorText } from '../core/errors';
import { resolveModelDir } from '../core/modelPointer';
import { restoreHalfWeights } from './onnx/halfWeights';
import { decodeModel, floatTensorData, onnx } from './onnx/proto';
import { SHARD_INDEX } from '../core/hub/download';
import { importSafetensors } from './safetensorsImport';

/** Model prefixes of Hugging Face parameter names, and head names that differ from BERT's. */
const PREFIXES = ['bert.', 'roberta.'];
const RENAMES: [RegExp, string][] = [
  [/^lm_head\.dense\./, 'cls.predictions.transform.dense.'],
  [/^lm_head\.layer_norm\./, 'cls.predictions.transform.LayerNorm.'],
  [/^lm_head\.bias$/, PARAM.decoderBias],
  [/^lm_head\.decoder\.bias$/, PARAM.decoderBias],
  [/^cls\.predictions\.decoder\.bias$/, PARAM.decoderBias],
];

function canonicalName(name: string): string {
  let n = name;
  for (const p of PREFIXES) if (n.startsWith(p)) n = n.slice(p.length);
  for (const [re, to] of RENAMES) n = n.replace(re, to);
  return n;
}

/** The ONNX model file of a Hugging Face layout folder: `model.onnx`, else `onnx/model.onnx`. */
export function modelFile(dir: string): string {
  for (const f of ['model.onnx', path.join('onnx', 'model.onnx')]) {
    const p = path.join(dir, f);
    if (existsSync(p)) return p;
  }
  throw new ClozeError('model-missing', `${dir} has no model.onnx or onnx/model.onnx; pick a Hugging Face layout model folder.`);
}

/**
 * Reads config.json and the float32 weights of `model.onnx` in `dir`. Parameters are found by walking the graph:
 * torch.onnx names the (already transposed, [in, out]) Linear weights `onnx::MatMul_*`, so each is named after the
 * bias added to its MatMul's output; the decoder must be tied to the word embeddings (MatMul by their Transpose).
 */
export async function importModel(folder: string): Promise<{ config: BertConfig; params: Params }> {
  const dir = await resolveModelDir(folder);
  // A transformers checkpoint without ONNX: its model.safetensors (or shards) by parameter names.
  if (!['model.onnx', path.join('onnx', 'model.onnx')].some((f) => existsSync(path.join(dir, f))) && ['model.safetensors', SHARD_INDEX].some((f) => existsSync(path.join(dir, f)))) return importSafetensors(dir);
  let config: BertConfig;
  try {
    config = configFromHF(JSON.parse(await readFile(path.join(dir, 'config.json'), 'utf8')) as object);
  } catch (e) {
    const missing = (e as NodeJS.ErrnoException).code === 'ENOENT';
    throw new ClozeError(missing ? 'model-missing' : 'model-corrupt', missing
      ? `${dir} has no config.json; pick a Hugging Face layout model folder.`
      : `${dir}/config.json cannot be used to continue training: ${errorText(e)}`);
  }
  const file = modelFile(dir);
  let model: onnx.ModelProto;
  try {
    model = decodeModel(await readFile(file));
  } catch (e) {
    throw new ClozeError('model-corrupt', `${file} is not a readable ONNX model; re-export or re-download it.`, errorText(e));
  }
  // Our shipped models store large weights as float16 behind a Cast; read them back as float32.
  restoreHalfWeights(model);
  const params = paramsFromGraph(model.graph, dir);
  const out: Params = new Map();
  for (const [name, shape] of paramShapes(config)) {
    const data = params.get(name);
    if (!data) throw new ClozeError('model-corrupt', `${file} has no weights for ${name}; only BERT / RoBERTa masked-LM exports can be trained further.`);
    const expected = shape.reduce((a, b) => a * b, 1);
    if (data.length !== expected) throw new ClozeError('model-corrupt', `${file}: ${name} has ${data.length} values but config.json implies [${shape.join(', ')}]; config.json does not match the model.`);
    out.set(name, data);
  }
  return { config, params: out };
}

function paramsFromGraph(graph: onnx.IGraphProto | null | undefined, dir: string): Params {
  if (!graph) throw new ClozeError('model-corrupt', `${dir}: model.onnx has no graph; re-export it.`);
  const initializers = new Map((graph.initializer ?? []).map((t) => [t.name ?? '', t]));
  const nodes = graph.node ?? [];
  const consumers = new Map<string, onnx.INodeProto[]>();
  for (const n of nodes) for (const i of n.input ?? []) consumers.set(i, [...(consumers.get(i) ?? []), n]);
  const producer = new Map<string, onnx.INodeProto>();
  for (const n of nodes) for (const o of n.output ?? []) producer.set(o, n);

  const params: Params = new Map();
  const take = (name: string, tensorName: string) => {
    const t = initializers.get(tensorName);
    const isFloat = t?.dataType === onnx.TensorProto.DataType.FLOAT || t?.dataType === onnx.TensorProto.DataType.DOUBLE;
    if (t && isFloat && !params.has(name)) params.set(name, floatTensorData(t));
  };
  // Named initializers (biases, LayerNorms, embeddings, and all of our own exports' weights).
  for (const t of initializers.values()) if (t.name && !t.name.startsWith('onnx::')) take(canonicalName(t.name), t.name);

  for (const n of nodes) {
    if (n.opType !== 'MatMul' && n.opType !== 'Gemm') continue;
    const [, weight] = n.input ?? [];
    const viaTranspose = producer.get(weight ?? '');
    if (viaTranspose?.opType === 'Transpose' && initializers.has(viaTranspose.input?.[0] ?? '')) {
      // The tied decoder: logits = h · Eᵀ. Its bias is the Add after it.
      const source = canonicalName(viaTranspose.input?.[0] ?? '');
      if (source !== PARAM.wordEmbeddings) throw new ClozeError('model-inputs', `${dir}: the decoder is not tied to the word embeddings (${source}); untied decoders cannot be trained further.`);
      continue;
    }
    if (!weight || !weight.startsWith('onnx::') || !initializers.has(weight)) continue;
    const bias = biasAfter(n, consumers, initializers);
    if (!bias) throw new ClozeError('model-inputs', `${dir}: cannot tell which layer weight ${weight} belongs to (no bias Add after its MatMul); export the model with torch.onnx / Optimum.`);
    const name = canonicalName(bias).replace(/\.bias$/, '.weight');
    if (n.opType === 'Gemm') throw new ClozeError('model-inputs', `${dir}: Gemm-form Linear layers (${name}) are not supported; export the model with torch.onnx / Optimum.`);
    take(name, weight);
  }
  return params;
}

function biasAfter(matmul: onnx.INodeProto, consumers: Map<string, onnx.INodeProto[]>, initializers: Map<string, onnx.ITensorProto>): string | undefined {
  for (const c of consumers.get(matmul.output?.[0] ?? '') ?? []) {
    if (c.opType !== 'Add') continue;
    const other = (c.input ?? []).find((i) => i !== matmul.output?.[0]);
    if (other && initializers.has(other) && other.endsWith('.bias')) return other;
  }
  return undefined;
}
