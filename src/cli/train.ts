// `cloze train`: masked-LM training of a model on folders of text from a terminal, with a live progress line.
import path from 'node:path';
import { percent } from '../protocol/format';
import { locateModel } from '../train/modelSource';
import { DEFAULT_HYPER } from '../train/step';
import { DEFAULT_SCRATCH, MODEL_DIR, train, type TrainOptions, type TrainProgress } from '../train/trainer';
import { choiceOption, commandLineProblem, commandRunner, numberOption, usageError, type CommandSpec, type OptionSpec } from './options';

export const SPEC = {
  name: 'train',
  args: '<dir-or-file…>',
  positionals: { min: 0 },
  description: `Continues (--from) or starts (--tokenizer, --vocab) masked-LM training on folders of text, with checkpoints
and an exact --resume; the model is exported in Hugging Face layout to --out's ${MODEL_DIR}/ folder.`,
  options: {
    from: { type: 'string', arg: 'MODEL', help: 'continue training this BERT/RoBERTa model folder or Hub id (uses its tokenizer)' },
    tokenizer: { type: 'string', arg: 'DIR', help: 'train a new model from scratch with the tokenizer in DIR (tokenizer.json + configs)' },
    vocab: { type: 'string', arg: 'N', help: 'train a new model from scratch with a new byte-level BPE tokenizer of N tokens, learned from the training files (saved in --out/tokenizer)' },
    layers: { type: 'string', arg: 'N', help: 'layers of a new model', shown: String(DEFAULT_SCRATCH.layers) },
    hidden: { type: 'string', arg: 'N', help: 'hidden size of a new model', shown: String(DEFAULT_SCRATCH.hidden) },
    heads: { type: 'string', arg: 'N', help: 'attention heads of a new model', shown: String(DEFAULT_SCRATCH.heads) },
    intermediate: { type: 'string', arg: 'N', help: 'feed-forward size of a new model', shown: String(DEFAULT_SCRATCH.intermediate) },
    out: { type: 'string', arg: 'DIR', help: `run folder: checkpoint, log, summary, exported model in DIR/${MODEL_DIR}`, shown: './cloze-run' },
    steps: { type: 'string', arg: 'N', help: 'optimizer steps of the run', shown: '1000' },
    minutes: { type: 'string', arg: 'N', help: 'time budget; alone, the step count is fitted to it after measuring speed' },
    'stop-at': { type: 'string', arg: 'N', help: 'stop at step N (checkpoint and model exported; --resume continues) while keeping the whole run\'s schedule' },
    'max-epochs': { type: 'string', arg: 'N', help: 'with --minutes alone: never plan more than N passes over the training data (small folders)' },
    resume: { type: 'boolean', help: 'continue the run in --out exactly where its checkpoint left it' },
    'position-init': { type: 'string', arg: 'normal|sinusoid', help: 'from scratch: start the position table as sinusoids (learns word order sooner) or random as BERT does', shown: 'sinusoid' },
    'max-positions': { type: 'string', arg: 'N', help: 'from scratch: position embeddings for N tokens, to continue at a longer --seq later', shown: '--seq' },
    batch: { type: 'string', arg: 'N', help: 'sequences per step', shown: '8' },
    seq: { type: 'string', arg: 'N', help: 'tokens per sequence', shown: '128' },
    'steps-per-call': { type: 'string', arg: 'N', help: 'optimizer steps per session call', shown: '8' },
    lr: { type: 'string', arg: 'X', help: 'peak learning rate', shown: '1e-3 continuing, 2e-3 from scratch' },
    warmup: { type: 'string', arg: 'N', help: 'warm-up steps', shown: '10% of the run, at most 200' },
    decay: { type: 'string', arg: 'linear|cosine', help: 'learning-rate decay', shown: 'linear' },
    'min-lr-ratio': { type: 'string', arg: 'X', help: 'final learning rate as a share of the peak', shown: '0' },
    'weight-decay': { type: 'string', arg: 'X', help: 'AdamW weight decay', shown: String(DEFAULT_HYPER.weightDecay) },
    beta2: { type: 'string', arg: 'X', help: 'AdamW second-moment decay (0.98 is steadier at high learning rates)', shown: String(DEFAULT_HYPER.beta2) },
    clip: { type: 'string', arg: 'X', help: 'gradient norm clipping', shown: String(DEFAULT_HYPER.clipNorm) },
    seed: { type: 'string', arg: 'N', help: 'seed of initialisation, data order and masking', shown: '1' },
    'held-out': { type: 'string', arg: 'X', help: 'share of the tokens held out to measure progress', shown: '0.1' },
    'whole-word': { type: 'boolean', help: 'mask whole words' },
    'mask-prob': { type: 'string', arg: 'X', help: 'share of tokens that become targets', shown: '0.15' },
    masking: { type: 'string', arg: 'uniform|surprisal', help: 'which tokens become targets: all alike, or more often the ones the model currently finds surprising (same rate and 80/10/10; held-out scores stay uniformly masked)', shown: 'uniform' },
    exclude: { type: 'string', arg: 'GLOB', multiple: true, help: 'leave out files matching GLOB' },
    'checkpoint-every': { type: 'string', arg: 'N', help: 'also checkpoint every N steps', shown: 'every 60 s' },
    'eval-every': { type: 'string', arg: 'N', help: 'held-out evaluation every N steps (always before and after)' },
    threads: { type: 'string', arg: 'N', help: 'ONNX Runtime threads (a resume is bit-exact only with the same count)' },
    json: { type: 'boolean', help: 'print the result as JSON at the end' },
  },
} as const satisfies CommandSpec<Record<string, OptionSpec>>;

/** Parses a flag as a number in range, or throws an error that names the flag. */
function num(values: Record<string, unknown>, flag: string, opts: { int?: boolean; min?: number; max?: number } = {}): number | undefined {
  const raw = values[flag];
  return numberOption(flag, raw === undefined ? undefined : String(raw), opts);
}

export const run = commandRunner(SPEC, async ({ values, positionals }) => {
  if (positionals.length === 0 && !values.resume) return commandLineProblem(SPEC, 'missing <dir-or-file…> (or --resume)');
  if (values.steps !== undefined && values.minutes !== undefined && !values.resume) {
    throw usageError('Give either --steps or --minutes, not both (with --minutes alone the step count is fitted to the time).');
  }
  const masking = choiceOption('masking', values.masking, ['uniform', 'surprisal'] as const);
  if (masking === 'surprisal' && values['whole-word']) throw usageError('--masking surprisal picks single tokens; it does not combine with --whole-word.');
  const decay = choiceOption('decay', values.decay, ['linear', 'cosine'] as const);
  const positionInit = choiceOption('position-init', values['position-init'], ['normal', 'sinusoid'] as const);
  if (positionInit && (values.from || values.resume)) throw usageError('--position-init starts a new model; a model given by --from or --resume keeps its own positions.');
  if (values.resume && (values.from || values.tokenizer || values.vocab || positionals.length > 0)) {
    throw usageError('--resume continues the run saved in --out with its own model, tokenizer and files; drop --from, --tokenizer, --vocab and the inputs.');
  }
  const v = values as Record<string, unknown>;
  const scratch = {
    layers: num(v, 'layers', { int: true, min: 1 }),
    hidden: num(v, 'hidden', { int: true, min: 1 }),
    heads: num(v, 'heads', { int: true, min: 1 }),
    intermediate: num(v, 'intermediate', { int: true, min: 1 }),
  };
  const controller = new AbortController();
  const onSignal = (): void => {
    if (controller.signal.aborted) process.exit(130);
    process.stderr.write('\nstopping after the current steps and saving a checkpoint (Ctrl-C again to quit now)\n');
    controller.abort();
  };
  process.on('SIGINT', onSignal);

  const tty = process.stderr.isTTY === true;
  let lastPrinted = 0;
  const onProgress = (p: TrainProgress): void => {
    const line = progressLine(p);
    if (tty) {
      process.stderr.write(`\r${line}\x1b[K`);
    } else if (Date.now() - lastPrinted >= 2000 || p.step === p.totalSteps) {
      // Logs and pipes get one line every two seconds rather than a line per session call.
      process.stderr.write(line + '\n');
      lastPrinted = Date.now();
    }
  };
  const opts: TrainOptions = {
    inputs: positionals,
    outDir: values.out ?? 'cloze-run',
    // A Hub id or a safetensors-only folder: the folder the engine would load (tokenizer.json and weights beside it).
    from: values.from === undefined ? undefined : await locateModel(values.from, { log: (m) => console.error(m) }),
    tokenizer: values.tokenizer,
    vocab: num(v, 'vocab', { int: true, min: 300, max: 30000 }),
    scratch: Object.fromEntries(Object.entries(scratch).filter(([, x]) => x !== undefined)),
    steps: num(v, 'steps', { int: true, min: 1 }),
    minutes: num(v, 'minutes', { min: 0 }),
    stopAtStep: num(v, 'stop-at', { int: true, min: 1 }),
    maxEpochs: num(v, 'max-epochs', { min: 0.01 }),
    resume: values.resume,
    batch: num(v, 'batch', { int: true, min: 1 }),
    seq: num(v, 'seq', { int: true, min: 8 }),
    maxPositions: num(v, 'max-positions', { int: true, min: 8 }),
    positionInit,
    stepsPerCall: num(v, 'steps-per-call', { int: true, min: 1 }),
    lr: num(v, 'lr', { min: 0 }),
    warmup: num(v, 'warmup', { int: true, min: 0 }),
    decay,
    minLrRatio: num(v, 'min-lr-ratio', { min: 0, max: 1 }),
    weightDecay: num(v, 'weight-decay', { min: 0 }),
    beta2: num(v, 'beta2', { min: 0.5, max: 0.99999 }),
    clipNorm: num(v, 'clip', { min: 0 }),
    seed: num(v, 'seed', { int: true }),
    heldOutFraction: num(v, 'held-out', { min: 0, max: 0.9 }),
    wholeWord: values['whole-word'],
    maskProb: num(v, 'mask-prob', { min: 0.01, max: 0.9 }),
    masking,
    exclude: values.exclude,
    checkpointEverySteps: num(v, 'checkpoint-every', { int: true, min: 1 }),
    evalEverySteps: num(v, 'eval-every', { int: true, min: 1 }),
    threads: num(v, 'threads', { int: true, min: 1 }),
    signal: controller.signal,
    onProgress,
    onEval: (e) => {
      if (tty) process.stderr.write('\n');
      process.stderr.write(`held-out (${e.phase}, step ${e.step}): top-1 ${percent(e.top1)}, top-5 ${percent(e.top5)}, perplexity ${e.perplexity.toFixed(2)}, loss ${e.loss.toFixed(4)} over ${e.maskedTokens} masked tokens\n`);
    },
    log: (m) => process.stderr.write(`${tty ? '\n' : ''}${m}\n`),
  };
  try {
    const r = await train(opts);
    if (tty) process.stderr.write('\n');
    if (values.json) {
      console.log(JSON.stringify(r, null, 2));
    } else {
      const how = r.stopped === 'done' ? 'finished' : r.stopped === 'time' ? 'stopped at the time limit' : r.stopped === 'step' ? `stopped at step ${r.step} (--stop-at)` : 'cancelled';
      console.log(`${how} at step ${r.step} of ${r.totalSteps}; checkpoint ${r.checkpoint}`);
      if (r.before && r.after) console.log(`held-out loss ${r.before.loss.toFixed(4)} → ${r.after.loss.toFixed(4)}, top-1 ${percent(r.before.top1)} → ${percent(r.after.top1)}`);
      if (r.modelDir) {
        const rel = path.relative(process.cwd(), r.modelDir);
        console.log(`model: ${r.modelDir}  (try: cloze fill "…[MASK]…" --model ${rel.startsWith('..') ? r.modelDir : rel})`);
      }
      if (r.stopped !== 'done') console.log(`continue with: cloze train --resume --out ${values.out ?? 'cloze-run'}`);
    }
    return r.stopped === 'cancelled' ? 130 : 0;
  } finally {
    process.off('SIGINT', onSignal);
  }
});

function progressLine(p: TrainProgress): string {
  const total = p.totalSteps > 0 ? String(p.totalSteps) : '?';
  const eta = Number.isFinite(p.etaSec) ? duration(p.etaSec) : '?';
  return `step ${p.step}/${total}  loss ${p.loss.toFixed(4)}  ${Math.round(p.tokensPerSec).toLocaleString('en-US')} tok/s  ETA ${eta}`;
}

function duration(sec: number): string {
  const s = Math.max(0, Math.round(sec));
  if (s < 60) return `${s}s`;
  if (s < 3600) return `${Math.floor(s / 60)}m${String(s % 60).padStart(2, '0')}s`;
  return `${Math.floor(s / 3600)}h${String(Math.floor((s % 3600) / 60)).padStart(2, '0')}m`;
}
