// Section 1 of a run: the model and the plan, fresh or exactly as the checkpoint left them, and the learning-rate schedule.
import { availableParallelism } from 'node:os';
import path from 'node:path';
import { ClozeError, errorText } from '../core/errors';
import { loadFramingTokenizer, type FramingTokenizer } from '../core/tokenizer';
import { checkpointExists, loadCheckpoint, type DataCursor } from './checkpoint';
import { defaultMaxMasked } from './collator';
import { importModel } from './import';
import type { EvalResult } from './metrics';
import { initParams, validateConfig, type BertConfig, type Params } from './model';
import { Rng } from './rng';
import { CHECKPOINT_FILE, MODEL_DIR, TOKENIZER_DIR } from './runLayout';
import { splitFiles } from './split';
import { DEFAULT_HYPER, createOptimizerState, type OptimizerState } from './step';
import type { SurprisalTableState } from './surprisalTable';
import { trainByteLevelBpe } from './tokenizerTrainer';
import { gatherCorpus } from './trainData';
import { DEFAULT_SCRATCH, type ScratchSize, type TrainOptions, type TrainPlan } from './trainOptions';

const DEFAULT_STEPS = 1000;

/** A run before its loop. `plan`, `before` and `totalKnown` change as it goes (a time-fitted total, the first evaluation). */
export interface OpenedRun {
  readonly cfg: BertConfig;
  readonly params: Params;
  readonly opt: OptimizerState;
  plan: TrainPlan;
  /** Where a resumed run's data stream stood. */
  readonly cursor?: DataCursor;
  readonly maskRng: Rng;
  readonly tok: FramingTokenizer;
  before?: EvalResult;
  /** Informed masking's table as the checkpoint left it. */
  readonly surprisal?: SurprisalTableState;
  /** False while a `--minutes` run without `--steps` has not yet fitted its step count. */
  totalKnown: boolean;
}

/** Opens the run in `outDir`: resumes its checkpoint (opts.resume), or plans a new one. */
export async function openRun(opts: TrainOptions, outDir: string, ckFile: string, log: (m: string) => void): Promise<OpenedRun> {
  if (opts.resume) {
    const ck = await loadCheckpoint(ckFile);
    const cfg = ck.config as BertConfig;
    validateConfig(cfg);
    let plan = ck.hyper as TrainPlan;
    if (opts.threads !== undefined && opts.threads !== plan.threads) {
      // Another machine, or a spare core: the run continues, no longer bit-exact with an uninterrupted one.
      log(`resuming with ${opts.threads} threads (the run used ${plan.threads}): sums are reordered, so it will not match an uninterrupted run bit for bit`);
      plan = { ...plan, threads: opts.threads };
    }
    if (opts.steps !== undefined && opts.steps !== plan.totalSteps) {
      throw new ClozeError('training', `The run in ${outDir} was planned for ${plan.totalSteps} steps; --resume finishes that plan (drop --steps). To train further, start a new run with --from ${path.join(outDir, MODEL_DIR)}.`);
    }
    const run: OpenedRun = {
      cfg,
      params: ck.params,
      opt: { step: ck.step, m: ck.m, v: ck.v },
      plan,
      cursor: ck.cursor,
      maskRng: Rng.fromState(ck.rng),
      before: ck.extra?.before as EvalResult | undefined,
      surprisal: ck.extra?.surprisal as SurprisalTableState | undefined,
      tok: await loadFramingTokenizer(plan.tokenizerDir),
      totalKnown: true,
    };
    log(`resuming ${outDir} at step ${ck.step} of ${plan.totalSteps}`);
    return run;
  }
  if (await checkpointExists(ckFile)) {
    throw new ClozeError('training', `${outDir} already holds a training run (${CHECKPOINT_FILE}). Continue it with --resume, or choose another --out folder.`);
  }
  let tokDir = opts.tokenizer ?? opts.from;
  if (opts.vocab !== undefined) {
    if (tokDir) throw new ClozeError('training', '--vocab trains a new tokenizer for a new model; it cannot be combined with --from or --tokenizer.');
    tokDir = await trainRunTokenizer(opts, outDir, log);
  }
  if (!tokDir) throw new ClozeError('training', 'Training needs a tokenizer: pass --from MODEL to continue a model, or --tokenizer DIR (a model folder with tokenizer.json) to train a new one from scratch.');
  const tok = await loadFramingTokenizer(tokDir);
  const { cfg, params, plan } = await freshRun(opts, tok);
  return {
    cfg, params, plan, tok,
    opt: createOptimizerState(cfg),
    totalKnown: plan.totalSteps > 0,
    maskRng: Rng.fromSeed(plan.seed + 0x10000000),
  };
}

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
    params = initParams(cfg, Rng.fromSeed(seed).uniform(), opts.positionInit ?? 'sinusoid');
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
    weightDecay: opts.weightDecay ?? DEFAULT_HYPER.weightDecay,
    beta1: DEFAULT_HYPER.beta1,
    beta2: opts.beta2 ?? DEFAULT_HYPER.beta2,
    eps: DEFAULT_HYPER.eps,
    clipNorm: opts.clipNorm ?? DEFAULT_HYPER.clipNorm,
    seed,
    heldOutFraction: opts.heldOutFraction ?? 0.1,
    wholeWord: opts.wholeWord ?? false,
    maskProb: opts.maskProb ?? 0.15,
    ...(opts.masking === 'surprisal' ? { masking: 'surprisal' as const } : {}),
    threads: opts.threads ?? availableParallelism(),
    ...(opts.maxCorpusBytes !== undefined ? { maxCorpusBytes: opts.maxCorpusBytes } : {}),
    heldOutBy: 'size',
    evalEverySteps: opts.evalEverySteps,
    checkpointEverySteps: opts.checkpointEverySteps,
  };
  if (total > 0) plan = withWarmup(plan, total, opts.warmup);
  return { cfg, params, plan };
}

export function scheduleOf(plan: TrainPlan, totalKnown: boolean): { peak: number; warmup: number; total: number; decay: 'linear' | 'cosine'; minRatio: number } {
  const warmup = plan.warmup >= 0 ? plan.warmup : 100;
  // Before the total is fitted, a very long horizon keeps the rate on its warm-up ramp.
  return { peak: plan.lr, warmup, total: totalKnown ? plan.totalSteps : 1e9, decay: plan.decay, minRatio: plan.minLrRatio };
}

export function withWarmup(plan: TrainPlan, total: number, requested: number | undefined): TrainPlan {
  if (plan.warmup >= 0) return plan;
  return { ...plan, warmup: requested ?? Math.min(200, Math.max(1, Math.round(total * 0.1))) };
}

export function cfgMaxSeq(cfg: BertConfig): number {
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
    // Tiny models stall at bag-of-words accuracy with BERT's 0.02; 0.05 gets past it.
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
