// A masked-LM training run end to end: plan (plan.ts), data (trainData.ts), sessions, loop (loop.ts), finish (finish.ts).
import { promises as fs } from 'node:fs';
import path from 'node:path';
import { saveCheckpoint } from './checkpoint';
import { BatchStream, MaskingCollator } from './collator';
import { writeFailure } from './diskErrors';
import { cleanStaleExports } from './exportPointer';
import { finishRun } from './finish';
import { runLoop } from './loop';
import { MaskedLmMetrics, type EvalResult } from './metrics';
import { openRun } from './plan';
import { CHECKPOINT_FILE, LOG_FILE, MODEL_DIR } from './runLayout';
import { releaseFinishedRunData } from './runs';
import { EvalStep, TrainStep } from './step';
import { SurprisalTable } from './surprisalTable';
import { heldOutBatches, prepareData } from './trainData';
import type { TrainOptions, TrainResult } from './trainOptions';

export type { ScratchSize, TrainEval, TrainOptions, TrainPlan, TrainProgress, TrainResult } from './trainOptions';
export { DEFAULT_SCRATCH } from './trainOptions';
export { CHECKPOINT_FILE, LOG_FILE, MODEL_DIR, SUMMARY_FILE, TOKENIZER_DIR } from './runLayout';
export { gatherCorpus, heldOutBatches } from './trainData';
export { scratchConfig } from './plan';

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
  const run = await openRun(opts, outDir, ckFile, log);
  const { cfg, params, opt, tok, cursor } = run;

  // 2. Data: the same files, split and rows on every run of this plan.
  const data = await prepareData(run.plan, tok, log, outDir);
  let exactResume = true;
  if (cursor && cursor.dataHash !== data.dataHash) {
    exactResume = false;
    log('warning: the training files changed since the checkpoint; continuing on the new data (the run will not match an uninterrupted one)');
  }
  const plan = run.plan;
  const collatorOptions = {
    batch: plan.batch, seq: plan.seq, maxMasked: plan.maxMasked, vocabSize: tok.vocabSize, maskTokenId: tok.maskId,
    specialIds: tok.specialIds, maskProb: plan.maskProb, wholeWord: plan.wholeWord,
  };
  // Informed masking chooses the training targets; held-out batches stay uniformly masked, so scores compare across policies.
  const surprisal = plan.masking === 'surprisal' ? new SurprisalTable(tok.vocabSize, run.surprisal) : undefined;
  const collator = new MaskingCollator({ ...collatorOptions, weightOf: surprisal && ((id) => surprisal.weight(id)) });
  const uniform = surprisal ? new MaskingCollator(collatorOptions) : collator;
  const stream = new BatchStream(data.train, collator, plan.batch, plan.seed + 0x20000000, run.maskRng, cursor ? { epoch: cursor.epoch, offset: cursor.offset } : undefined);

  // 3. Sessions.
  const threads = plan.threads;
  const trainStep = await TrainStep.create(cfg, { batch: plan.batch, seq: plan.seq, maxMasked: plan.maxMasked, stepsPerCall: plan.stepsPerCall },
    { weightDecay: plan.weightDecay, beta1: plan.beta1, beta2: plan.beta2, eps: plan.eps, clipNorm: plan.clipNorm }, { threads, targetLosses: surprisal !== undefined });
  const evalStep = await EvalStep.create(cfg, { batch: plan.batch, seq: plan.seq, maxMasked: plan.maxMasked }, { threads });
  const evalBatches = heldOutBatches(data.heldOut, uniform, plan.batch, opts.evalBatches ?? 64);
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
      step: opt.step, config: cfg, hyper: run.plan, cursor: { epoch: pos.epoch, offset: pos.offset, dataHash: data.dataHash },
      rng: stream.rng.state(), params, m: opt.m, v: opt.v,
      extra: { ...(run.before ? { before: run.before } : {}), ...(surprisal ? { surprisal: surprisal.state() } : {}) },
    });
  };

  try {
    const evalStarted = Date.now();
    if (!run.before) {
      run.before = await evaluate();
      opts.onEval?.({ ...run.before, step: opt.step, phase: 'before' });
      await logLine({ type: 'eval', phase: 'before', step: opt.step, ...run.before });
    }
    const evalMs = Date.now() - evalStarted;

    // 4. The loop.
    const stopped = await runLoop({ opts, run, data, stream, trainStep, deadline, evalMs, evaluate, logLine, checkpoint, log, surprisal });

    // 5. The finished run.
    const result = await finishRun({ opts, outDir, ckFile, run, data, stopped, exactResume, evaluate, logLine, checkpoint });
    // A run that will not resume has no use for its prepared data (as large as the corpus's tokens).
    await releaseFinishedRunData(outDir, result.stopped);
    return result;
  } finally {
    await trainStep.release();
    await evalStep.release();
  }
}
