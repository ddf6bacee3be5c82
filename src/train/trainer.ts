// The masked-LM training loop: data, schedule, K steps per session call, held-out evaluation, checkpoints, exact resume, export.
import { createHash } from 'node:crypto';
import { promises as fs } from 'node:fs';
import { availableParallelism } from 'node:os';
import path from 'node:path';
import { ClozeError, errorText } from '../core/errors';
import type { Batch } from './batch';
import { checkpointExists, loadCheckpoint, saveCheckpoint, type DataCursor } from './checkpoint';
import { BatchStream, MaskingCollator, defaultMaxMasked } from './collator';
import { collectCorpus, type Corpus } from './corpus';
import { exportModel } from './export';
import { writeFailure } from './diskErrors';
import { cleanStaleExports, publishModel } from './exportPointer';
import { importModel } from './import';
import { EVAL_SEED, MaskedLmMetrics, type EvalResult } from './metrics';
import { initParams, validateConfig, type BertConfig, type Params } from './model';
import { loadFramingTokenizer, type FramingTokenizer } from '../core/tokenizer';
import { packDocuments, type PackedSequences } from './packer';
import { Rng } from './rng';
import { learningRate } from './schedule';
import { splitFiles } from './split';
import { EvalStep, TrainStep, createOptimizerState, type OptimizerState } from './step';
import { trainByteLevelBpe } from './tokenizerTrainer';

/** Size of a model trained from scratch. */
export interface ScratchSize {
  readonly layers: number;
  readonly hidden: number;
  readonly heads: number;
  readonly intermediate: number;
}

export const DEFAULT_SCRATCH: ScratchSize = { layers: 2, hidden: 128, heads: 4, intermediate: 512 };

export interface TrainOptions {
  /** Folders and files to train on. */
  readonly inputs: readonly string[];
  /** Of the files found under `inputs`, use only these (absolute paths): lets an editor apply its own exclusions. */
  readonly only?: readonly string[];
  /** Run folder: checkpoint.bin, train-log.jsonl, summary.json, and the exported model in model/. */
  readonly outDir: string;
  /** Continue training this Hugging Face model folder (BERT or RoBERTa); its tokenizer is used. */
  readonly from?: string;
  /** From scratch: the folder whose tokenizer.json (+ configs) to use; defaults to `from`. */
  readonly tokenizer?: string;
  /**
   * From scratch with a new tokenizer: a byte-level BPE of this many tokens, trained on the training split
   * (never the held-out files) and saved in outDir/tokenizer. Excludes `from` and `tokenizer`.
   */
  readonly vocab?: number;
  readonly scratch?: Partial<ScratchSize>;
  /** Optimizer steps of the whole run (default 1000 unless `minutes` is given). */
  readonly steps?: number;
  /** Wall-clock budget of this invocation; with no `steps`, the step count is fitted to it after measuring speed. */
  readonly minutes?: number;
  /** When the step count is fitted to `minutes`, never plan more than this many passes over the training rows. */
  readonly maxEpochs?: number;
  /** Continue the run in outDir from its checkpoint, with the settings saved there. */
  readonly resume?: boolean;
  readonly batch?: number;
  readonly seq?: number;
  /**
   * From scratch: position embeddings for this many tokens even when `seq` is shorter, so a model trained at 128 can
   * later continue (`--from`) at 256 (default: `seq`).
   */
  readonly maxPositions?: number;
  readonly stepsPerCall?: number;
  /** Peak learning rate (default 1e-3 when continuing a model, 2e-3 from scratch). */
  readonly lr?: number;
  /** Warm-up steps (default 10% of the run, at most 200). */
  readonly warmup?: number;
  readonly decay?: 'linear' | 'cosine';
  /** Final learning rate as a share of the peak (default 0). */
  readonly minLrRatio?: number;
  readonly weightDecay?: number;
  readonly clipNorm?: number;
  readonly seed?: number;
  readonly heldOutFraction?: number;
  readonly wholeWord?: boolean;
  readonly maskProb?: number;
  readonly exclude?: readonly string[];
  /** Take files until their text adds up to this many bytes, skip the rest (default: no cap; the editor caps a workspace). */
  readonly maxCorpusBytes?: number;
  /** Save a checkpoint at least this often (default 60 s)… */
  readonly checkpointEverySec?: number;
  /** …and/or every this many steps (default: off). Checkpoints fall on session-call boundaries. */
  readonly checkpointEverySteps?: number;
  /** Held-out evaluation every this many steps besides before and after (default: off). */
  readonly evalEverySteps?: number;
  /** Most held-out batches per evaluation (default 64). */
  readonly evalBatches?: number;
  /** ONNX Runtime intra-op threads (default: all cores). Results are bit-identical only for equal thread counts. */
  readonly threads?: number;
  /** Export the model to outDir/model when the run completes (default true). */
  readonly export?: boolean;
  readonly signal?: AbortSignal;
  readonly onProgress?: (p: TrainProgress) => void;
  readonly onEval?: (e: TrainEval) => void;
  /** Human-readable notes (data summary, warnings). */
  readonly log?: (message: string) => void;
}

export interface TrainProgress {
  readonly step: number;
  readonly totalSteps: number;
  /** Mean training loss of the last session call. */
  readonly loss: number;
  readonly lr: number;
  readonly tokensPerSec: number;
  readonly etaSec: number;
}

export interface TrainEval extends EvalResult {
  readonly step: number;
  readonly phase: 'before' | 'during' | 'after';
}

export interface TrainResult {
  readonly step: number;
  readonly totalSteps: number;
  readonly stopped: 'done' | 'time' | 'cancelled';
  readonly before?: EvalResult;
  readonly after?: EvalResult;
  /** The exported model folder, when the run completed. */
  readonly modelDir?: string;
  readonly checkpoint: string;
  readonly trainFiles: number;
  readonly heldOutFiles: number;
  readonly trainTokens: number;
  /** False when a resume found different training data than the checkpoint was made on. */
  readonly exactResume: boolean;
}

/** Everything that shapes the trajectory; saved in the checkpoint so a resume repeats it exactly. */
export interface TrainPlan {
  readonly inputs: string[];
  readonly only?: string[];
  readonly exclude: string[];
  readonly from: string | null;
  readonly tokenizerDir: string;
  readonly totalSteps: number;
  readonly batch: number;
  readonly seq: number;
  readonly maxMasked: number;
  readonly stepsPerCall: number;
  readonly lr: number;
  readonly warmup: number;
  readonly decay: 'linear' | 'cosine';
  readonly minLrRatio: number;
  readonly weightDecay: number;
  readonly beta1: number;
  readonly beta2: number;
  readonly eps: number;
  readonly clipNorm: number;
  readonly seed: number;
  readonly heldOutFraction: number;
  readonly wholeWord: boolean;
  readonly maskProb: number;
  readonly threads: number;
  readonly maxCorpusBytes?: number;
  /** How the held-out files are chosen (see splitFiles); absent in plans made before the token cap: 'hash'. */
  readonly heldOutBy?: 'size';
}

export const CHECKPOINT_FILE = 'checkpoint.bin';
export const MODEL_DIR = 'model';
export const LOG_FILE = 'train-log.jsonl';
export const SUMMARY_FILE = 'summary.json';

const DEFAULT_STEPS = 1000;

interface Data {
  readonly train: PackedSequences;
  readonly heldOut: PackedSequences;
  readonly trainFiles: number;
  readonly heldOutFiles: number;
  readonly dataHash: string;
}

/** Trains (or resumes) a run. Resolves when the run completes, its time is up, or `signal` aborts; always leaves a checkpoint. */
export async function train(opts: TrainOptions): Promise<TrainResult> {
  const started = Date.now();
  const deadline = opts.minutes !== undefined ? started + opts.minutes * 60_000 : Infinity;
  const log = opts.log ?? (() => undefined);
  const outDir = path.resolve(opts.outDir);
  const ckFile = path.join(outDir, CHECKPOINT_FILE);
  await fs.mkdir(outDir, { recursive: true });
  await cleanStaleExports(path.join(outDir, MODEL_DIR));

  // 1. The model and the plan: fresh, or exactly as the checkpoint left them.
  let cfg: BertConfig;
  let params: Params;
  let opt: OptimizerState;
  let plan: TrainPlan;
  let cursor: DataCursor | undefined;
  let maskRng: Rng;
  let tok: FramingTokenizer;
  let before: EvalResult | undefined;
  let totalKnown: boolean;
  if (opts.resume) {
    const ck = await loadCheckpoint(ckFile);
    cfg = ck.config as BertConfig;
    validateConfig(cfg);
    plan = ck.hyper as TrainPlan;
    if (opts.steps !== undefined && opts.steps !== plan.totalSteps) {
      throw new ClozeError('training', `The run in ${outDir} was planned for ${plan.totalSteps} steps; --resume finishes that plan (drop --steps). To train further, start a new run with --from ${path.join(outDir, MODEL_DIR)}.`);
    }
    params = ck.params;
    opt = { step: ck.step, m: ck.m, v: ck.v };
    cursor = ck.cursor;
    maskRng = Rng.fromState(ck.rng);
    before = ck.extra?.before as EvalResult | undefined;
    tok = await loadFramingTokenizer(plan.tokenizerDir);
    totalKnown = true;
    log(`resuming ${outDir} at step ${ck.step} of ${plan.totalSteps}`);
  } else {
    if (await checkpointExists(ckFile)) {
      throw new ClozeError('training', `${outDir} already holds a training run (${CHECKPOINT_FILE}). Continue it with --resume, or choose another --out folder.`);
    }
    let tokDir = opts.tokenizer ?? opts.from;
    if (opts.vocab !== undefined) {
      if (tokDir) throw new ClozeError('training', '--vocab trains a new tokenizer for a new model; it cannot be combined with --from or --tokenizer.');
      tokDir = await trainRunTokenizer(opts, outDir, log);
    }
    if (!tokDir) throw new ClozeError('training', 'Training needs a tokenizer: pass --from MODEL to continue a model, or --tokenizer DIR (a model folder with tokenizer.json) to train a new one from scratch.');
    tok = await loadFramingTokenizer(tokDir);
    ({ cfg, params, plan } = await freshRun(opts, tok));
    opt = createOptimizerState(cfg);
    totalKnown = plan.totalSteps > 0;
    maskRng = Rng.fromSeed(plan.seed + 0x10000000);
  }

  // 2. Data: the same files, split and rows on every run of this plan.
  const data = await prepareData(plan, tok, log);
  let exactResume = true;
  if (cursor && cursor.dataHash !== data.dataHash) {
    exactResume = false;
    log('warning: the training files changed since the checkpoint; continuing on the new data (the run will not match an uninterrupted one)');
  }
  const collator = new MaskingCollator({
    batch: plan.batch, seq: plan.seq, maxMasked: plan.maxMasked, vocabSize: tok.vocabSize, maskTokenId: tok.maskId,
    specialIds: tok.specialIds, maskProb: plan.maskProb, wholeWord: plan.wholeWord,
  });
  const stream = new BatchStream(data.train, collator, plan.batch, plan.seed + 0x20000000, maskRng, cursor ? { epoch: cursor.epoch, offset: cursor.offset } : undefined);

  // 3. Sessions.
  const threads = plan.threads;
  const trainStep = await TrainStep.create(cfg, { batch: plan.batch, seq: plan.seq, maxMasked: plan.maxMasked, stepsPerCall: plan.stepsPerCall },
    { weightDecay: plan.weightDecay, beta1: plan.beta1, beta2: plan.beta2, eps: plan.eps, clipNorm: plan.clipNorm }, { threads });
  const evalStep = await EvalStep.create(cfg, { batch: plan.batch, seq: plan.seq, maxMasked: plan.maxMasked }, { threads });
  const evalBatches = heldOutBatches(data.heldOut, collator, plan.batch, opts.evalBatches ?? 64);
  const evaluate = async (): Promise<EvalResult> => {
    const m = new MaskedLmMetrics();
    for (const b of evalBatches) m.add(await evalStep.run(params, b));
    return m.result();
  };
  const logLine = async (rec: object): Promise<void> => {
    await fs.appendFile(path.join(outDir, LOG_FILE), JSON.stringify(rec) + '\n').catch((e: unknown) => {
      throw writeFailure(e, 'training log', path.join(outDir, LOG_FILE), 'the last checkpoint is');
    });
  };

  const checkpoint = async (): Promise<void> => {
    const pos = stream.position;
    await saveCheckpoint(ckFile, {
      step: opt.step, config: cfg, hyper: plan, cursor: { epoch: pos.epoch, offset: pos.offset, dataHash: data.dataHash },
      rng: stream.rng.state(), params, m: opt.m, v: opt.v, extra: before ? { before } : {},
    });
  };

  let stopped: TrainResult['stopped'] = 'done';
  let after: EvalResult | undefined;
  try {
    const evalStarted = Date.now();
    if (!before) {
      before = await evaluate();
      opts.onEval?.({ ...before, step: opt.step, phase: 'before' });
      await logLine({ type: 'eval', phase: 'before', step: opt.step, ...before });
    }
    const evalMs = Date.now() - evalStarted;

    // 4. The loop: K steps per call; checkpoints only between calls, so a resume replays calls exactly.
    let lastCkpt = Date.now();
    let lastCkptStep = opt.step;
    let emaRate = 0;
    let calls = 0;
    for (;;) {
      if (totalKnown && opt.step >= plan.totalSteps) break;
      if (opts.signal?.aborted) { stopped = 'cancelled'; break; }
      if (Date.now() >= deadline) { stopped = 'time'; break; }
      const k = totalKnown ? Math.min(plan.stepsPerCall, plan.totalSteps - opt.step) : plan.stepsPerCall;
      const batches: Batch[] = [];
      const lrs: number[] = [];
      let tokens = 0;
      for (let i = 0; i < k; i++) {
        const b = stream.next();
        batches.push(b);
        for (let j = 0; j < b.attentionMask.length; j++) tokens += Number(b.attentionMask[j]);
        // Until a time-fitted total is known the schedule is still warming up, which does not depend on the total.
        lrs.push(learningRate(opt.step + i, scheduleOf(plan, totalKnown)));
      }
      const t0 = Date.now();
      const { losses } = await trainStep.run(params, opt, batches, lrs);
      const sec = Math.max(1e-3, (Date.now() - t0) / 1000);
      calls++;
      const loss = losses.reduce((a, b) => a + b, 0) / losses.length;
      if (!Number.isFinite(loss)) throw new ClozeError('training', `Training diverged at step ${opt.step} (loss ${loss}). Lower --lr or keep --clip at 1.`);
      const rate = tokens / sec;
      // The first call includes session warm-up; later calls measure the steady speed.
      emaRate = calls <= 1 ? rate : calls === 2 ? rate : 0.8 * emaRate + 0.2 * rate;

      if (!totalKnown && calls >= 2) {
        // --minutes without --steps: fit the plan to the time left, keeping room for the final evaluation and export.
        const stepsPerSec = emaRate / (plan.batch * plan.seq);
        const left = (deadline - Date.now()) / 1000 - 2 * (evalMs / 1000) - 5;
        let total = Math.max(opt.step + 1, opt.step + Math.floor(Math.max(0, left) * stepsPerSec * 0.95));
        // A small corpus must not be memorized: beyond a few passes the held-out score only gets worse.
        if (opts.maxEpochs !== undefined) total = Math.min(total, Math.max(opt.step + 1, Math.ceil((opts.maxEpochs * data.train.count) / plan.batch)));
        plan = withWarmup({ ...plan, totalSteps: total }, total, opts.warmup);
        totalKnown = true;
        log(`fitted the run to ${total} steps (${stepsPerSec.toFixed(1)} steps/s)`);
      }
      const total = totalKnown ? plan.totalSteps : 0;
      const etaSec = totalKnown ? ((total - opt.step) * plan.batch * plan.seq) / Math.max(1, emaRate) : NaN;
      const progress: TrainProgress = { step: opt.step, totalSteps: total, loss, lr: lrs[lrs.length - 1], tokensPerSec: emaRate, etaSec };
      opts.onProgress?.(progress);
      await logLine({ type: 'progress', ...progress, time: new Date().toISOString() });

      if (opts.evalEverySteps && Math.floor(opt.step / opts.evalEverySteps) > Math.floor((opt.step - k) / opts.evalEverySteps) && opt.step < total) {
        const e = await evaluate();
        opts.onEval?.({ ...e, step: opt.step, phase: 'during' });
        await logLine({ type: 'eval', phase: 'during', step: opt.step, ...e });
      }
      const dueBySteps = opts.checkpointEverySteps !== undefined && opt.step - lastCkptStep >= opts.checkpointEverySteps;
      const dueByTime = Date.now() - lastCkpt >= 1000 * (opts.checkpointEverySec ?? 60);
      if (totalKnown && (dueBySteps || dueByTime) && opt.step < total) {
        await checkpoint();
        lastCkpt = Date.now();
        lastCkptStep = opt.step;
      }
    }
    if (!totalKnown) plan = withWarmup({ ...plan, totalSteps: Math.max(1, opt.step) }, Math.max(1, opt.step), opts.warmup);
    await checkpoint();

    // 5. The finished run: held-out score after, and the model exported where the extension and `cloze fill` find it.
    let modelDir: string | undefined;
    if (stopped !== 'cancelled') {
      after = await evaluate();
      opts.onEval?.({ ...after, step: opt.step, phase: 'after' });
      await logLine({ type: 'eval', phase: 'after', step: opt.step, ...after });
    }
    if (stopped !== 'cancelled' && (opts.export ?? true)) {
      modelDir = path.join(outDir, MODEL_DIR);
      await exportAtomically(modelDir, cfg, params, plan.tokenizerDir);
    }
    const result: TrainResult = {
      step: opt.step, totalSteps: plan.totalSteps, stopped, before, after, modelDir, checkpoint: ckFile,
      trainFiles: data.trainFiles, heldOutFiles: data.heldOutFiles, trainTokens: data.train.tokens, exactResume,
    };
    await fs.writeFile(path.join(outDir, SUMMARY_FILE), JSON.stringify({ ...result, plan, config: cfg }, null, 2) + '\n').catch((e: unknown) => {
      throw writeFailure(e, 'run summary', path.join(outDir, SUMMARY_FILE), 'the checkpoint and the model are');
    });
    return result;
  } finally {
    await trainStep.release();
    await evalStep.release();
  }
}

export const TOKENIZER_DIR = 'tokenizer';

/** Trains the run's own byte-level BPE tokenizer on the training split (the held-out files stay unseen). */
async function trainRunTokenizer(opts: TrainOptions, outDir: string, log: (m: string) => void): Promise<string> {
  const vocab = opts.vocab ?? 0;
  if (!Number.isInteger(vocab) || vocab < 300 || vocab > 30000) throw new ClozeError('training', `--vocab must be an integer from 300 to 30000 (the byte alphabet plus merges), not ${vocab}.`);
  const corpus = await gatherCorpus(opts.inputs, opts.exclude, opts.only, opts.maxCorpusBytes);
  const split = splitFiles(corpus.files, { heldOutFraction: opts.heldOutFraction ?? 0.1 });
  if (split.train.length === 0) throw new ClozeError('training', `No text files to train a tokenizer on in ${opts.inputs.join(', ')}.`);
  const dir = path.join(outDir, TOKENIZER_DIR);
  const t = trainByteLevelBpe(split.train.map((f) => f.path), dir, { vocabSize: vocab, modelMaxLength: Math.max(opts.seq ?? 128, opts.maxPositions ?? 0) });
  log(`trained a byte-level BPE tokenizer of ${t.vocabSize} tokens on ${split.train.length} files`);
  return dir;
}

/** The model and plan of a new run: imported from `from`, or a fresh random model for the tokenizer. */
async function freshRun(opts: TrainOptions, tok: FramingTokenizer): Promise<{ cfg: BertConfig; params: Params; plan: TrainPlan }> {
  const seed = opts.seed ?? 1;
  let cfg: BertConfig;
  let params: Params;
  let seq: number;
  if (opts.from) {
    let imported: { config: BertConfig; params: Params };
    try {
      imported = await importModel(opts.from);
    } catch (e) {
      throw new ClozeError('model-corrupt', `Cannot continue training ${opts.from}: ${errorText(e)}. --from takes a BERT or RoBERTa fill-mask model folder (config.json + model.onnx).`, errorText(e));
    }
    cfg = imported.config;
    params = imported.params;
    if (tok.vocabSize > cfg.vocabSize) throw new ClozeError('training', `The tokenizer has ${tok.vocabSize} tokens but the model only ${cfg.vocabSize}; use the model's own tokenizer.`);
    seq = opts.seq ?? Math.min(128, cfgMaxSeq(cfg));
  } else {
    seq = opts.seq ?? 128;
    cfg = scratchConfig(tok, Math.max(seq, opts.maxPositions ?? seq), { ...DEFAULT_SCRATCH, ...opts.scratch });
    params = initParams(cfg, Rng.fromSeed(seed).uniform());
  }
  if (seq > cfgMaxSeq(cfg)) throw new ClozeError('training', `--seq ${seq} is longer than the model's ${cfgMaxSeq(cfg)} positions.`);
  const batch = opts.batch ?? 8;
  const total = opts.steps ?? (opts.minutes !== undefined ? 0 : DEFAULT_STEPS);
  let plan: TrainPlan = {
    inputs: opts.inputs.map((p) => path.resolve(p)),
    ...(opts.only ? { only: opts.only.map((p) => path.resolve(p)).sort() } : {}),
    exclude: [...(opts.exclude ?? [])],
    from: opts.from ? path.resolve(opts.from) : null,
    tokenizerDir: tok.dir,
    totalSteps: total,
    batch,
    seq,
    maxMasked: defaultMaxMasked(batch, seq, opts.maskProb ?? 0.15, opts.wholeWord ?? false),
    stepsPerCall: opts.stepsPerCall ?? 8,
    lr: opts.lr ?? (opts.from ? 1e-3 : 2e-3),
    warmup: opts.warmup ?? -1, // fixed once the total is known
    decay: opts.decay ?? 'linear',
    minLrRatio: opts.minLrRatio ?? 0,
    weightDecay: opts.weightDecay ?? 0.01,
    beta1: 0.9,
    beta2: 0.999,
    eps: 1e-8,
    clipNorm: opts.clipNorm ?? 1.0,
    seed,
    heldOutFraction: opts.heldOutFraction ?? 0.1,
    wholeWord: opts.wholeWord ?? false,
    maskProb: opts.maskProb ?? 0.15,
    threads: opts.threads ?? availableParallelism(),
    ...(opts.maxCorpusBytes !== undefined ? { maxCorpusBytes: opts.maxCorpusBytes } : {}),
    heldOutBy: 'size',
  };
  if (total > 0) plan = withWarmup(plan, total, opts.warmup);
  return { cfg, params, plan };
}

/** The corpus under `inputs`, narrowed to the `only` allow-list when one is given. */
export async function gatherCorpus(inputs: readonly string[], exclude?: readonly string[], only?: readonly string[], maxCorpusBytes?: number): Promise<Corpus> {
  // The allow-list is applied before any file is read, so excluded files neither cost time nor count toward the cap.
  return collectCorpus(inputs, { exclude, only, maxCorpusBytes });
}

/** Collects, splits and packs the corpus of a plan, and fingerprints the training rows. */
async function prepareData(plan: TrainPlan, tok: FramingTokenizer, log: (m: string) => void): Promise<Data> {
  const corpus = await gatherCorpus(plan.inputs, plan.exclude, plan.only, plan.maxCorpusBytes);
  if (corpus.files.length === 0) {
    const why = corpus.skipped.slice(0, 5).map((s) => `${s.path}: ${s.reason}`).join('; ');
    throw new ClozeError('training', `No text files to train on in ${plan.inputs.join(', ')}${why ? ` (skipped: ${why})` : ''}. Point cloze train at folders of source code or prose.`);
  }
  const split = splitFiles(corpus.files, { heldOutFraction: plan.heldOutFraction, by: plan.heldOutBy ?? 'hash' });
  if (split.heldOut.length === 0) throw new ClozeError('training', 'Training needs at least two text files: one is held out to measure progress.');
  const train = await packDocuments(tok, split.train.map((f) => f.text), plan.seq);
  const heldOut = await packDocuments(tok, split.heldOut.map((f) => f.text), plan.seq);
  if (train.count === 0 || heldOut.count === 0) throw new ClozeError('training', 'The training or held-out files tokenize to nothing; add more text.');
  const h = createHash('sha256').update(`${plan.seq}\n`);
  h.update(Buffer.from(train.ids.buffer, train.ids.byteOffset, train.ids.byteLength));
  h.update(Buffer.from(train.lengths.buffer, train.lengths.byteOffset, train.lengths.byteLength));
  log(`${split.train.length} training files (${train.tokens.toLocaleString('en-US')} tokens, ${train.count} rows of ${plan.seq}), ${split.heldOut.length} held out (${heldOut.tokens.toLocaleString('en-US')} tokens); ${corpus.skipped.length} skipped`);
  return { train, heldOut, trainFiles: split.train.length, heldOutFiles: split.heldOut.length, dataHash: h.digest('hex') };
}

/**
 * The held-out batches, masked once with the fixed evaluation seed: rows in order, full batches only (a corpus
 * with fewer rows than a batch repeats rows).
 */
export function heldOutBatches(data: PackedSequences, collator: MaskingCollator, batch: number, maxBatches: number): Batch[] {
  const rng = Rng.fromSeed(EVAL_SEED);
  const n = Math.max(1, Math.min(maxBatches, Math.floor(data.count / batch)));
  const out: Batch[] = [];
  for (let i = 0; i < n; i++) out.push(collator.collate(data, Array.from({ length: batch }, (_, j) => (i * batch + j) % data.count), rng));
  return out;
}

function scheduleOf(plan: TrainPlan, totalKnown: boolean): { peak: number; warmup: number; total: number; decay: 'linear' | 'cosine'; minRatio: number } {
  const warmup = plan.warmup >= 0 ? plan.warmup : 100;
  // Before the total is fitted, a very long horizon keeps the rate on its warm-up ramp.
  return { peak: plan.lr, warmup, total: totalKnown ? plan.totalSteps : 1e9, decay: plan.decay, minRatio: plan.minLrRatio };
}

function withWarmup(plan: TrainPlan, total: number, requested: number | undefined): TrainPlan {
  if (plan.warmup >= 0) return plan;
  return { ...plan, warmup: requested ?? Math.min(200, Math.max(1, Math.round(total * 0.1))) };
}

function cfgMaxSeq(cfg: BertConfig): number {
  return cfg.maxPositions - cfg.positionOffset;
}

/** A new model shaped for the tokenizer: BERT or RoBERTa conventions follow the tokenizer's framing. */
export function scratchConfig(tok: FramingTokenizer, seq: number, size: ScratchSize): BertConfig {
  const roberta = tok.family === 'roberta';
  const positionOffset = roberta ? tok.padId + 1 : 0;
  const cfg: BertConfig = {
    vocabSize: tok.vocabSize,
    hidden: size.hidden,
    layers: size.layers,
    heads: size.heads,
    intermediate: size.intermediate,
    maxPositions: seq + positionOffset,
    typeVocabSize: roberta ? 1 : 2,
    layerNormEps: roberta ? 1e-5 : 1e-12,
    positionOffset,
    padTokenId: tok.padId,
    // Tiny models stall at bag-of-words accuracy with BERT's 0.02; 0.05 gets past it (DESIGN.md §5).
    initRange: 0.05,
    modelType: roberta ? 'roberta' : 'bert',
  };
  try {
    validateConfig(cfg);
  } catch (e) {
    throw new ClozeError('training', `The model size is invalid: ${errorText(e)}. Check --layers, --hidden, --heads and --intermediate.`);
  }
  return cfg;
}

/**
 * Exports as a new version of `dir` and switches its pointer to it (see exportPointer.ts): a kill at any instant leaves
 * the previous or the new model loadable through `dir`, and temporaries of killed exports are removed at the next one.
 */
async function exportAtomically(dir: string, cfg: BertConfig, params: Params, tokenizerDir: string): Promise<void> {
  // The head-at-masks variant is what the engine prefers: the vocabulary head runs only where a mask is.
  await publishModel(dir, (folder) => exportModel(folder, cfg, params, tokenizerDir, { maskedVariant: true }));
}
