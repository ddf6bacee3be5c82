// Section 5 of a run: the last checkpoint, the held-out score after, the export, and the summary of the run folder.
import { promises as fs } from 'node:fs';
import path from 'node:path';
import { writeFailure } from './diskErrors';
import { exportAtomically } from './exportRun';
import type { EvalResult } from './metrics';
import { withWarmup, type OpenedRun } from './plan';
import { MODEL_DIR, SUMMARY_FILE } from './runLayout';
import type { Data } from './trainData';
import type { TrainOptions, TrainResult } from './trainOptions';

export interface FinishContext {
  readonly opts: TrainOptions;
  readonly outDir: string;
  readonly ckFile: string;
  readonly run: OpenedRun;
  readonly data: Data;
  readonly stopped: TrainResult['stopped'];
  readonly exactResume: boolean;
  readonly evaluate: () => Promise<EvalResult>;
  readonly logLine: (rec: object) => Promise<void>;
  readonly checkpoint: () => Promise<void>;
}

/** Ends the run however it stopped: always a checkpoint; unless cancelled, the score after and the model exported where the extension and `cloze fill` find it. */
export async function finishRun(ctx: FinishContext): Promise<TrainResult> {
  const { opts, outDir, run, data, stopped } = ctx;
  const opt = run.opt;
  if (!run.totalKnown) run.plan = withWarmup({ ...run.plan, totalSteps: Math.max(1, opt.step) }, Math.max(1, opt.step), opts.warmup);
  await ctx.checkpoint();

  let after: EvalResult | undefined;
  let modelDir: string | undefined;
  if (stopped !== 'cancelled') {
    after = await ctx.evaluate();
    opts.onEval?.({ ...after, step: opt.step, phase: 'after' });
    await ctx.logLine({ type: 'eval', phase: 'after', step: opt.step, ...after });
  }
  if (stopped !== 'cancelled' && (opts.export ?? true)) {
    modelDir = path.join(outDir, MODEL_DIR);
    await exportAtomically(modelDir, run.cfg, run.params, run.plan.tokenizerDir);
  }
  const result: TrainResult = {
    step: opt.step, totalSteps: run.plan.totalSteps, stopped, before: run.before, after, modelDir, checkpoint: ctx.ckFile,
    trainFiles: data.trainFiles, heldOutFiles: data.heldOutFiles, trainTokens: data.train.tokens, exactResume: ctx.exactResume,
  };
  await fs.writeFile(path.join(outDir, SUMMARY_FILE), JSON.stringify({ ...result, plan: run.plan, config: run.cfg }, null, 2) + '\n').catch((e: unknown) => {
    throw writeFailure(e, 'run summary', path.join(outDir, SUMMARY_FILE), 'the checkpoint and the model are');
  });
  return result;
}
