// "Train on Workspace" inside the service: preview the corpus, run the trainer with progress, stop it, report scores.
import { availableParallelism } from 'node:os';
import path from 'node:path';
import { ClozeError } from '../core/errors';
import { WORKSPACE_CORPUS_BYTES } from '../train/corpus';
import { splitFiles } from '../train/split';
import { cleanStaleExportsIn } from '../train/exportPointer';
import { MODEL_DIR, gatherCorpus, type TrainEval, type TrainProgress } from '../train/trainer';
import { discardRun, findUnfinishedRun, markRun } from '../train/runs';
import { trainInWorker, type RunnerOptions } from '../train/worker';
import type { ModelHost } from './modelHost';
import type { TrainEvalEvent, TrainFilesParams, TrainPreview, TrainProgressEvent, TrainRunsParams, TrainScore, TrainStartParams, TrainSummary, UnfinishedRun } from '../protocol';

/** Vocabulary of a tokenizer learned from the workspace alone ("fresh" mode). */
const FRESH_VOCAB = 8192;
/** Passes over a workspace's text before more training would only memorize it. */
const MAX_EPOCHS = 4;
/** "Until stopped" still needs a horizon for the learning-rate schedule. */
const UNTIL_STOPPED_MINUTES = 24 * 60;

/**
 * The bench's override of where and how the run trains, to compare placements through the real service
 * (test/bench/duringTraining.ts): `CLOZE_TRAIN_RUNNER="isolation=thread|process priority=N spinning=0|1 threads=N"`.
 */
function runnerOverride(env = process.env.CLOZE_TRAIN_RUNNER): RunnerOptions & { threads?: number } {
  const out: { isolation?: 'process' | 'thread'; priority?: number; spinning?: boolean; threads?: number } = {};
  for (const part of (env ?? '').split(/\s+/).filter(Boolean)) {
    const [k, v] = part.split('=');
    if (k === 'isolation' && (v === 'process' || v === 'thread')) out.isolation = v;
    else if (k === 'priority' && /^-?\d+$/.test(v)) out.priority = Number(v);
    else if (k === 'spinning' && (v === '0' || v === '1')) out.spinning = v === '1';
    else if (k === 'threads' && /^\d+$/.test(v) && Number(v) > 0) out.threads = Number(v);
    else throw new ClozeError('training', `CLOZE_TRAIN_RUNNER: cannot read "${part}".`);
  }
  return out;
}

export interface TrainingEvents {
  progress(e: TrainProgressEvent): void;
  evaluation(e: TrainEvalEvent): void;
  log(message: string): void;
}

function score(e: { top1: number; top5: number; perplexity: number; loss: number; maskedTokens: number } | undefined): TrainScore | undefined {
  return e && { top1: e.top1, top5: e.top5, perplexity: e.perplexity, loss: e.loss, maskedTokens: e.maskedTokens };
}

/** Groups skip reasons by their head ("minified: longest line …" → "minified"). */
function tally(reasons: readonly string[]): { reason: string; count: number }[] {
  const counts = new Map<string, number>();
  for (const r of reasons) {
    const head = r.split(':')[0].trim();
    counts.set(head, (counts.get(head) ?? 0) + 1);
  }
  return [...counts].map(([reason, count]) => ({ reason, count })).sort((a, b) => b.count - a.count);
}

export class TrainingHost {
  private running: AbortController | undefined;

  constructor(
    private readonly host: ModelHost,
    private readonly events: TrainingEvents,
  ) {}

  async preview(p: TrainFilesParams): Promise<TrainPreview> {
    const engine = await this.host.ready();
    if (!engine) throw new ClozeError('training', 'No model is loaded, so there is nothing to continue training. Select a model first.');
    const corpus = await gatherCorpus(p.folders, p.exclude, p.files, WORKSPACE_CORPUS_BYTES);
    const split = splitFiles(corpus.files);
    let tokens = 0;
    for (const f of corpus.files) tokens += (await engine.tokenizer.encodeIds(f.text)).length;
    const inEditorScope = new Set(p.files.map((f) => path.resolve(f)));
    // Files the editor never offered (node_modules, files.exclude, …) are not news to the user; only report the rest.
    const skipped = corpus.skipped.filter((s) => inEditorScope.has(path.resolve(s.path)));
    const reasons = tally(skipped.map((s) => s.reason));
    // Key-like strings inside files that are kept: replaced by a placeholder, counted like a skip reason.
    const replaced = (corpus.redacted ?? []).reduce((n, r) => n + r.count, 0);
    if (replaced > 0) reasons.push({ reason: 'secret-like strings replaced', count: replaced });
    return { trainFiles: split.train.length, heldOutFiles: split.heldOut.length, tokens, skipped: reasons, model: engine.info.name };
  }

  async start(p: TrainStartParams): Promise<TrainSummary> {
    if (this.running) throw new ClozeError('training', 'A training run is already in progress. Stop it first ("Cloze: Stop Training").');
    const engine = await this.host.ready();
    if (!engine && p.mode === 'continue' && !p.resume) throw new ClozeError('training', 'No model is loaded to continue training. Select a model or choose a fresh model.');
    const abort = new AbortController();
    this.running = abort;
    const started = Date.now();
    try {
      // Exports killed in earlier runs (the window closed mid-export) leave temporaries in their run folders.
      await cleanStaleExportsIn(path.dirname(path.resolve(p.runDir)), MODEL_DIR);
      if (!p.resume) await markRun(p.runDir, p.mode);
      const { threads, ...runner } = runnerOverride();
      // In a child process at low priority: completions keep the service's thread, and the OS runs their ONNX
      // threads before the trainer's whenever both are ready (docs/benchmarks.md, *Fills during Train on Workspace*).
      const result = await trainInWorker({
        inputs: p.folders,
        only: p.files,
        exclude: p.exclude,
        maxCorpusBytes: WORKSPACE_CORPUS_BYTES,
        outDir: p.runDir,
        resume: p.resume,
        ...(p.resume ? {} : p.mode === 'continue' ? { from: engine!.info.dir } : { vocab: FRESH_VOCAB }),
        minutes: p.minutes ?? UNTIL_STOPPED_MINUTES,
        maxEpochs: MAX_EPOCHS,
        // Several steps per session call (inside an ONNX Loop) are faster; the service's own thread is not blocked by them.
        stepsPerCall: 8,
        // One core stays free for fills while training runs (docs/benchmarks.md, *Thread spinning*: on 2 cores a
        // 1-thread run left fills near their idle latency and even trained faster than a 2-thread one; at low priority
        // too, *Fills during Train on Workspace*). A resume keeps the thread count of its plan.
        ...(p.resume ? {} : { threads: threads ?? Math.max(1, availableParallelism() - 1), masking: p.masking === 'surprisal' ? 'surprisal' : 'uniform' }),
        ...(p.steps !== undefined && !p.resume ? { steps: p.steps } : {}),
        signal: abort.signal,
        evalEverySteps: 50,
        evalBatches: 16,
        checkpointEverySec: 30,
        onProgress: (e: TrainProgress) => this.events.progress({ ...e }),
        onEval: (e: TrainEval) => this.events.evaluation({ step: e.step, phase: e.phase, ...score(e)! }),
        log: (m) => this.events.log(m),
      }, runner);
      return {
        stopped: result.stopped,
        step: result.step,
        totalSteps: result.totalSteps,
        before: score(result.before),
        after: score(result.after),
        modelDir: result.modelDir,
        trainFiles: result.trainFiles,
        heldOutFiles: result.heldOutFiles,
        minutes: (Date.now() - started) / 60000,
      };
    } finally {
      this.running = undefined;
    }
  }

  async unfinished(p: TrainRunsParams): Promise<UnfinishedRun | null> {
    const run = await findUnfinishedRun(p.runsDir);
    return run ? { runDir: run.dir, mode: run.mode, ...(run.step !== undefined ? { step: run.step } : {}) } : null;
  }

  async discard(runDir: string): Promise<void> {
    await discardRun(runDir);
  }

  stop(): boolean {
    if (!this.running) return false;
    this.running.abort();
    return true;
  }
}
