// Section 4 of a run: K optimizer steps per session call, progress, evaluations and checkpoints between calls.
import { ClozeError } from '../core/errors';
import type { Batch } from './batch';
import type { BatchStream } from './collator';
import type { EvalResult } from './metrics';
import { scheduleOf, withWarmup, type OpenedRun } from './plan';
import { learningRate } from './schedule';
import type { TrainStep } from './step';
import type { SurprisalTable } from './surprisalTable';
import type { Data } from './trainData';
import type { TrainOptions, TrainProgress, TrainResult } from './trainOptions';

/** What the loop runs on; the trainer owns the sessions and the run folder. */
export interface LoopContext {
  readonly opts: TrainOptions;
  readonly run: OpenedRun;
  readonly data: Data;
  readonly stream: BatchStream;
  readonly trainStep: TrainStep;
  /** Wall-clock end of this invocation (ms since the epoch; Infinity without --minutes). */
  readonly deadline: number;
  /** How long the first held-out evaluation took: room kept for the final one when fitting the step count. */
  readonly evalMs: number;
  readonly evaluate: () => Promise<EvalResult>;
  readonly logLine: (rec: object) => Promise<void>;
  readonly checkpoint: () => Promise<void>;
  readonly log: (m: string) => void;
  /** Informed masking: fed with every target's loss after each call. */
  readonly surprisal?: SurprisalTable;
}

/** Runs until the plan's steps are done, the time is up or the signal aborts. Checkpoints only between calls, so a resume replays calls exactly. */
export async function runLoop(ctx: LoopContext): Promise<TrainResult['stopped']> {
  const { opts, run, data, stream, trainStep, deadline, evalMs } = ctx;
  const opt = run.opt;
  let lastCkpt = Date.now();
  let lastCkptStep = opt.step;
  let emaRate = 0;
  let calls = 0;
  for (;;) {
    if (run.totalKnown && opt.step >= run.plan.totalSteps) return 'done';
    if (opts.signal?.aborted) return 'cancelled';
    if (Date.now() >= deadline) return 'time';
    if (opts.stopAtStep !== undefined && opt.step >= opts.stopAtStep) return 'step';
    const k = Math.min(run.totalKnown ? run.plan.totalSteps - opt.step : Infinity, opts.stopAtStep !== undefined ? opts.stopAtStep - opt.step : Infinity, run.plan.stepsPerCall);
    const batches: Batch[] = [];
    const lrs: number[] = [];
    let tokens = 0;
    for (let i = 0; i < k; i++) {
      const b = stream.next();
      batches.push(b);
      for (let j = 0; j < b.attentionMask.length; j++) tokens += Number(b.attentionMask[j]);
      // Until a time-fitted total is known the schedule is still warming up, which does not depend on the total.
      lrs.push(learningRate(opt.step + i, scheduleOf(run.plan, run.totalKnown)));
    }
    const t0 = Date.now();
    const { losses, targetLosses } = await trainStep.run(run.params, opt, batches, lrs);
    if (ctx.surprisal && targetLosses) batches.forEach((b, i) => ctx.surprisal!.observe(b.labels, targetLosses[i]));
    const sec = Math.max(1e-3, (Date.now() - t0) / 1000);
    calls++;
    const loss = losses.reduce((a, b) => a + b, 0) / losses.length;
    if (!Number.isFinite(loss)) throw new ClozeError('training', `Training diverged at step ${opt.step} (loss ${loss}). Lower --lr or keep --clip at 1.`);
    const rate = tokens / sec;
    // The first call includes session warm-up; later calls measure the steady speed.
    emaRate = calls <= 1 ? rate : calls === 2 ? rate : 0.8 * emaRate + 0.2 * rate;

    if (!run.totalKnown && calls >= 2) {
      // --minutes without --steps: fit the plan to the time left, keeping room for the final evaluation and export.
      const stepsPerSec = emaRate / (run.plan.batch * run.plan.seq);
      const left = (deadline - Date.now()) / 1000 - 2 * (evalMs / 1000) - 5;
      let total = Math.max(opt.step + 1, opt.step + Math.floor(Math.max(0, left) * stepsPerSec * 0.95));
      // A small corpus must not be memorized: beyond a few passes the held-out score only gets worse.
      if (opts.maxEpochs !== undefined) total = Math.min(total, Math.max(opt.step + 1, Math.ceil((opts.maxEpochs * data.train.count) / run.plan.batch)));
      run.plan = withWarmup({ ...run.plan, totalSteps: total }, total, opts.warmup);
      run.totalKnown = true;
      ctx.log(`fitted the run to ${total} steps (${stepsPerSec.toFixed(1)} steps/s)`);
    }
    const total = run.totalKnown ? run.plan.totalSteps : 0;
    const etaSec = run.totalKnown ? ((total - opt.step) * run.plan.batch * run.plan.seq) / Math.max(1, emaRate) : NaN;
    const progress: TrainProgress = { step: opt.step, totalSteps: total, loss, lr: lrs[lrs.length - 1], tokensPerSec: emaRate, etaSec };
    opts.onProgress?.(progress);
    await ctx.logLine({ type: 'progress', ...progress, time: new Date().toISOString() });

    const evalEvery = opts.evalEverySteps ?? run.plan.evalEverySteps;
    if (evalEvery && Math.floor(opt.step / evalEvery) > Math.floor((opt.step - k) / evalEvery) && opt.step < total) {
      const e = await ctx.evaluate();
      opts.onEval?.({ ...e, step: opt.step, phase: 'during' });
      await ctx.logLine({ type: 'eval', phase: 'during', step: opt.step, ...e });
    }
    const ckptEvery = opts.checkpointEverySteps ?? run.plan.checkpointEverySteps;
    const dueBySteps = ckptEvery !== undefined && opt.step - lastCkptStep >= ckptEvery;
    const dueByTime = Date.now() - lastCkpt >= 1000 * (opts.checkpointEverySec ?? 60);
    if (run.totalKnown && (dueBySteps || dueByTime) && opt.step < total) {
      await ctx.checkpoint();
      lastCkpt = Date.now();
      lastCkptStep = opt.step;
    }
  }
}
