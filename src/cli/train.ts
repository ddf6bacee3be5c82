// `cloze train`: masked-LM training of a model on folders of text from a terminal, with a live progress line.
import path from 'node:path';
import { parseArgs } from 'node:util';
import { ClozeError } from '../core/errors';
import { percent } from '../format';
import { locateModel } from '../core/modelSource';
import { DEFAULT_SCRATCH, MODEL_DIR, train, type TrainOptions, type TrainProgress } from '../train/trainer';

const USAGE = `usage: cloze train <dir-or-file…> [--from MODEL | --tokenizer DIR] [--out DIR] [--minutes N | --steps N] [--resume]

  --from MODEL          continue training this BERT/RoBERTa model folder (uses its tokenizer)
  --tokenizer DIR       train a new model from scratch with the tokenizer in DIR (tokenizer.json + configs)
  --vocab N             train a new model from scratch with a new byte-level BPE tokenizer of N tokens,
                        learned from the training files (saved in DIR/tokenizer)
  --layers/--hidden/--heads/--intermediate N   size of a new model (default ${DEFAULT_SCRATCH.layers}/${DEFAULT_SCRATCH.hidden}/${DEFAULT_SCRATCH.heads}/${DEFAULT_SCRATCH.intermediate})
  --out DIR             run folder: checkpoint, log, summary, exported model in DIR/${MODEL_DIR} (default ./cloze-run)
  --steps N             optimizer steps of the run (default 1000)
  --minutes N           time budget; alone, the step count is fitted to it after measuring speed
  --max-epochs N        with --minutes alone: never plan more than N passes over the training data (small folders)
  --resume              continue the run in --out exactly where its checkpoint left it
  --max-positions N     from scratch: position embeddings for N tokens (default: --seq), to continue at a longer --seq later
  --batch N --seq N --steps-per-call N --lr X --warmup N --decay linear|cosine --min-lr-ratio X
  --weight-decay X --clip X --seed N --held-out X --whole-word --mask-prob X --exclude GLOB (repeatable)
  --masking uniform|surprisal  which tokens become targets: all alike (default), or more often the ones the model
                        currently finds surprising (same rate and 80/10/10; held-out scores stay uniformly masked)
  --checkpoint-every N  also checkpoint every N steps (default: every 60 s)
  --eval-every N        held-out evaluation every N steps (always before and after)
  --threads N           ONNX Runtime threads (a resume is bit-exact only with the same count)
  --json                print the result as JSON at the end`;

/** Parses a flag as a number in range, or throws an error that names the flag. */
function num(values: Record<string, unknown>, flag: string, opts: { int?: boolean; min?: number; max?: number } = {}): number | undefined {
  const raw = values[flag];
  if (raw === undefined) return undefined;
  const v = Number(raw);
  const ok = Number.isFinite(v) && (!opts.int || Number.isInteger(v)) && (opts.min === undefined || v >= opts.min) && (opts.max === undefined || v <= opts.max);
  if (!ok) {
    const range = [opts.min !== undefined ? `≥ ${opts.min}` : '', opts.max !== undefined ? `≤ ${opts.max}` : ''].filter(Boolean).join(' and ');
    throw new ClozeError('training', `--${flag} must be ${opts.int ? 'an integer' : 'a number'}${range ? ` ${range}` : ''}, not "${String(raw)}".`);
  }
  return v;
}

export async function run(argv: string[]): Promise<number> {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: {
      from: { type: 'string' },
      tokenizer: { type: 'string' },
      vocab: { type: 'string' },
      out: { type: 'string', default: 'cloze-run' },
      steps: { type: 'string' },
      minutes: { type: 'string' },
      'max-epochs': { type: 'string' },
      resume: { type: 'boolean', default: false },
      layers: { type: 'string' },
      hidden: { type: 'string' },
      heads: { type: 'string' },
      intermediate: { type: 'string' },
      batch: { type: 'string' },
      seq: { type: 'string' },
      'max-positions': { type: 'string' },
      'steps-per-call': { type: 'string' },
      lr: { type: 'string' },
      warmup: { type: 'string' },
      decay: { type: 'string' },
      'min-lr-ratio': { type: 'string' },
      'weight-decay': { type: 'string' },
      clip: { type: 'string' },
      seed: { type: 'string' },
      'held-out': { type: 'string' },
      'whole-word': { type: 'boolean', default: false },
      'mask-prob': { type: 'string' },
      masking: { type: 'string' },
      exclude: { type: 'string', multiple: true },
      'checkpoint-every': { type: 'string' },
      'eval-every': { type: 'string' },
      threads: { type: 'string' },
      json: { type: 'boolean', default: false },
      help: { type: 'boolean', short: 'h', default: false },
    },
  });
  if (values.help) {
    console.log(USAGE);
    return 0;
  }
  if (positionals.length === 0 && !values.resume) {
    console.error(USAGE);
    return 2;
  }
  if (values.steps !== undefined && values.minutes !== undefined && !values.resume) {
    throw new ClozeError('training', 'Give either --steps or --minutes, not both (with --minutes alone the step count is fitted to the time).');
  }
  if (values.masking !== undefined && values.masking !== 'uniform' && values.masking !== 'surprisal') {
    throw new ClozeError('training', `--masking must be uniform or surprisal, not "${values.masking}".`);
  }
  if (values.masking === 'surprisal' && values['whole-word']) throw new ClozeError('training', '--masking surprisal picks single tokens; it does not combine with --whole-word.');
  if (values.decay !== undefined && values.decay !== 'linear' && values.decay !== 'cosine') {
    throw new ClozeError('training', `--decay must be linear or cosine, not "${values.decay}".`);
  }
  if (values.resume && (values.from || values.tokenizer || values.vocab || positionals.length > 0)) {
    throw new ClozeError('training', '--resume continues the run saved in --out with its own model, tokenizer and files; drop --from, --tokenizer, --vocab and the inputs.');
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
    outDir: values.out,
    // A Hub id or a safetensors-only folder: the folder the engine would load (tokenizer.json and weights beside it).
    from: values.from === undefined ? undefined : await locateModel(values.from, { log: (m) => console.error(m) }),
    tokenizer: values.tokenizer,
    vocab: num(v, 'vocab', { int: true, min: 300, max: 30000 }),
    scratch: Object.fromEntries(Object.entries(scratch).filter(([, x]) => x !== undefined)),
    steps: num(v, 'steps', { int: true, min: 1 }),
    minutes: num(v, 'minutes', { min: 0 }),
    maxEpochs: num(v, 'max-epochs', { min: 0.01 }),
    resume: values.resume,
    batch: num(v, 'batch', { int: true, min: 1 }),
    seq: num(v, 'seq', { int: true, min: 8 }),
    maxPositions: num(v, 'max-positions', { int: true, min: 8 }),
    stepsPerCall: num(v, 'steps-per-call', { int: true, min: 1 }),
    lr: num(v, 'lr', { min: 0 }),
    warmup: num(v, 'warmup', { int: true, min: 0 }),
    decay: values.decay as 'linear' | 'cosine' | undefined,
    minLrRatio: num(v, 'min-lr-ratio', { min: 0, max: 1 }),
    weightDecay: num(v, 'weight-decay', { min: 0 }),
    clipNorm: num(v, 'clip', { min: 0 }),
    seed: num(v, 'seed', { int: true }),
    heldOutFraction: num(v, 'held-out', { min: 0, max: 0.9 }),
    wholeWord: values['whole-word'],
    maskProb: num(v, 'mask-prob', { min: 0.01, max: 0.9 }),
    masking: values.masking as 'uniform' | 'surprisal' | undefined,
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
      const how = r.stopped === 'done' ? 'finished' : r.stopped === 'time' ? 'stopped at the time limit' : 'cancelled';
      console.log(`${how} at step ${r.step} of ${r.totalSteps}; checkpoint ${r.checkpoint}`);
      if (r.before && r.after) console.log(`held-out loss ${r.before.loss.toFixed(4)} → ${r.after.loss.toFixed(4)}, top-1 ${percent(r.before.top1)} → ${percent(r.after.top1)}`);
      if (r.modelDir) {
        const rel = path.relative(process.cwd(), r.modelDir);
        console.log(`model: ${r.modelDir}  (try: cloze fill "…[MASK]…" --model ${rel.startsWith('..') ? r.modelDir : rel})`);
      }
      if (r.stopped !== 'done') console.log(`continue with: cloze train --resume --out ${values.out}`);
    }
    return r.stopped === 'cancelled' ? 130 : 0;
  } finally {
    process.off('SIGINT', onSignal);
  }
}

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
