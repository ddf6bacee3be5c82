// What a training run is asked to do, what it reports, and the plan it saves: the trainer's types, apart from its code.
import type { EvalResult } from './metrics';
import type { PositionInit } from './model';

/** Size of a model trained from scratch. */
/** See src/train/surprisalTable.ts. */
export type MaskingPolicy = 'uniform' | 'surprisal';

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
  /** From scratch: how the position table starts (default 'sinusoid'; 'normal' is BERT's init); see initParams. */
  readonly positionInit?: PositionInit;
  /** Optimizer steps of the whole run (default 1000 unless `minutes` is given). */
  readonly steps?: number;
  /** Wall-clock budget of this invocation; with no `steps`, the step count is fitted to it after measuring speed. */
  readonly minutes?: number;
  /**
   * Stop this invocation at this step (checkpoint and export, resumable) while keeping the plan's schedule: a run
   * that changes recipe partway (another sequence length or mix, by --from) reproduces the same first part.
   */
  readonly stopAtStep?: number;
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
  readonly beta2?: number;
  readonly clipNorm?: number;
  readonly seed?: number;
  readonly heldOutFraction?: number;
  readonly wholeWord?: boolean;
  readonly maskProb?: number;
  /** Which tokens become targets: all alike (default), or more often the ones the model currently finds surprising. */
  readonly masking?: MaskingPolicy;
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
  /** 'step': at `stopAtStep`, before the plan's end (resumable, model exported). */
  readonly stopped: 'done' | 'time' | 'step' | 'cancelled';
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
  /** Absent in plans made before informed masking: 'uniform'. */
  readonly masking?: MaskingPolicy;
  readonly threads: number;
  readonly maxCorpusBytes?: number;
  /** How the held-out files are chosen (see splitFiles); absent in plans made before the token cap: 'hash'. */
  readonly heldOutBy?: 'size';
  /**
   * The run's cadence, kept so that a plain --resume evaluates and checkpoints as the run was started to (they do not
   * change the trajectory; a resume may override them). Absent in plans made before: none / by time only.
   */
  readonly evalEverySteps?: number;
  readonly checkpointEverySteps?: number;
}
