// The fill-mask engine: one loaded model (tokenizer + ONNX session) answering "what goes in this mask?".
import * as ort from 'onnxruntime-node';
import { placed, type Candidate } from './candidate';
import { ClozeError, errorText } from './errors';
import { rank } from './fill';
import { fillJoint, type JointFill, type JointOptions } from './joint';
import { findMasks, maskAt, maskPattern, type MaskSpan } from './masks';
import { readModelFolder, type ModelFiles } from './modelFolder';
import type { Precision } from './precision';
import { openSession, type Device, type DeviceAttempt } from './session';
import { MaskTokenizer } from './tokenizer';
import { targetPieces } from './targets';
import { scoreWords, wholeWords, type WholeWordFill } from './wholeWord';
import { buildWindow, type TokenWindow } from './window';

export type { Candidate } from './candidate';
export type { JointAlternative, JointFill, JointOptions } from './joint';

export interface MaskPrediction {
  readonly span: MaskSpan;
  readonly candidates: Candidate[];
  readonly entropy: number;
  /** Tokens the model saw for this prediction (framing included). */
  readonly windowTokens: number;
  /** Masks that shared the window (this one included). */
  readonly masksInWindow: number;
}

/** Logits of a batch of rows at chosen positions (Engine.logitsGrid). */
export interface GridLogits {
  readonly vocab: number;
  /** The buffer holding row b (rows of different lengths may come from different runs). */
  data(b: number): Float32Array;
  /** Where row b's j-th requested position starts in `data(b)`. */
  offset(b: number, j: number): number;
}

/**
 * Masks that stand for the unwritten rest of a line (FillOptions.openLineEnd). One mask says "something follows"; the
 * rest of a line is usually several pieces, and saying so helps up to three: held-out words typed at the end of their
 * line (scripts/open-line-end.mjs, 1 December, phase D's model) came first 20.8 / 24.2 / 26.6 / 25.5% of the time in code
 * with 1 / 2 / 3 / 4 masks, 13.3 / 15.6 / 16.3 / 16.7% in prose.
 */
export const OPEN_LINE_MASKS = 3;

export interface FillOptions {
  readonly topK?: number;
  /** Token budget of the context window; capped at the model's limit. */
  readonly contextTokens?: number;
  /** Restrict scoring to these words (the first token of each), like the HF pipeline's `targets`. */
  readonly targets?: readonly string[];
  /** A mask may stand for up to this many pieces: candidates are whole words (wholeWord.ts); 1 (default) is one piece. */
  readonly maxPieces?: number;
  /** Checked just before the model runs: a request that went stale while queued is dropped, not computed. */
  readonly isCancelled?: () => boolean;
  /**
   * `fillAt` only: when nothing but spaces follows the mask on its line, the rest of the line is taken as not written
   * yet — OPEN_LINE_MASKS masks for it go right after this one (and a line break when the text ends there) — instead of
   * as the end of the text. A model reading a mask right before the end (`All rights <mask>`) fills it with what ends a
   * sentence (`.`); told that something follows, it fills the word (`reserved`). Measured by scripts/open-line-end.mjs.
   * The editor sets it; the CLI does not (its fills stay what the fill-mask pipeline computes).
   */
  readonly openLineEnd?: boolean;
}

export interface EngineInfo {
  readonly name: string;
  readonly dir: string;
  readonly onnxFile: string;
  readonly modelType: string;
  readonly maskToken: string;
  readonly maxTokens: number;
  readonly vocabSize: number;
  readonly device: Device;
  readonly fallbacks: readonly DeviceAttempt[];
  /** The graph computes logits only at mask positions (our own export). */
  readonly headAtMasks: boolean;
  /** fp32, or int8 for the folder's quantised graph (LoadOptions.precision). */
  readonly precision: 'fp32' | 'int8';
}

export interface LoadOptions {
  readonly devices?: readonly Device[];
  readonly threads?: number;
  readonly log?: (message: string) => void;
  /** Which graph of the folder to run (precision.ts); fp32 when not given. */
  readonly precision?: Precision;
}

const KNOWN_INPUTS = ['input_ids', 'attention_mask', 'token_type_ids', 'position_ids', 'mask_positions'];

export class Engine {
  private queue: Promise<unknown> = Promise.resolve();
  private readonly pattern: RegExp;

  /** Never offered as fills: special tokens, whitespace-only pieces and pieces of a character (U+FFFD alone). */
  private readonly excluded: ReadonlySet<number>;

  private constructor(
    readonly files: ModelFiles,
    readonly tokenizer: MaskTokenizer,
    private readonly session: ort.InferenceSession,
    readonly info: EngineInfo,
    private readonly intInputs: ReadonlyMap<string, 'int64' | 'int32'>,
  ) {
    this.pattern = maskPattern(files.maskToken);
    this.excluded = new Set([...tokenizer.specialIds, ...tokenizer.blankIds, ...tokenizer.fragmentIds]);
  }

  static async load(dir: string, opts: LoadOptions = {}): Promise<Engine> {
    // A Hub id or a safetensors-only folder is made a folder like this first: train/modelSource.ts, openModel.
    const files = await readModelFolder(dir, { precision: opts.precision });
    if (opts.precision && opts.precision !== 'fp32') opts.log?.(`Precision ${files.precision}: ${files.precisionReason}`);
    const tokenizer = MaskTokenizer.load(files);
    const opened = await openSession(files.onnxPath, opts);
    const { session } = opened;
    const types = new Map<string, 'int64' | 'int32'>();
    for (const m of session.inputMetadata) {
      if (!KNOWN_INPUTS.includes(m.name)) {
        await session.release();
        throw new ClozeError('model-inputs', `The model's input "${m.name}" is not one a fill-mask encoder takes (Cloze feeds ${KNOWN_INPUTS.join(', ')}). Export the model for the fill-mask task.`);
      }
      const t = m.isTensor ? m.type : 'unknown';
      if (t !== 'int64' && t !== 'int32') {
        await session.release();
        throw new ClozeError('model-inputs', `The model's input "${m.name}" has type ${t}; a fill-mask encoder takes integer token ids. Export the model for the fill-mask task.`);
      }
      types.set(m.name, t);
    }
    if (!types.has('input_ids')) {
      await session.release();
      throw new ClozeError('model-inputs', `The model has no "input_ids" input (it has ${session.inputNames.join(', ') || 'none'}); it is not a Hugging Face fill-mask export.`);
    }
    const info: EngineInfo = {
      name: files.name,
      dir: files.dir,
      onnxFile: files.onnxPath,
      modelType: typeof files.config.model_type === 'string' ? files.config.model_type : 'unknown',
      maskToken: files.maskToken,
      maxTokens: files.maxTokens,
      vocabSize: tokenizer.vocabSize,
      device: opened.device,
      fallbacks: opened.fallbacks,
      headAtMasks: types.has('mask_positions'),
      precision: files.precision,
    };
    const engine = new Engine(files, tokenizer, session, info, types);
    // One real run now turns a mismatched graph into a load-time error instead of a failure on first use.
    try {
      const out = await engine.logitsAt([tokenizer.clsId, tokenizer.maskId, tokenizer.sepId], [1]);
      if (out.vocab < 2) throw new Error(`logits have ${out.vocab} columns`);
    } catch (e) {
      await session.release();
      if (e instanceof ClozeError) throw e;
      throw new ClozeError('model-inputs', `The model did not run on a test sentence: ${errorText(e).split('\n')[0]}. It may not be a fill-mask export, or its inputs don't match its tokenizer.`, errorText(e));
    }
    return engine;
  }

  async dispose(): Promise<void> {
    await this.queue.catch(() => undefined);
    await this.session.release();
  }

  /** Model runs so far (what a burst of superseded requests must not multiply). */
  runs = 0;

  /** Serializes runs on the session: ORT sessions are not re-entrant-safe for our tensors, and order keeps latency fair. */
  private exclusive<T>(fn: () => Promise<T>): Promise<T> {
    const next = this.queue.then(fn, fn);
    this.queue = next.catch(() => undefined);
    return next;
  }

  private intTensor(name: string, values: ArrayLike<number>, dims: number[]): ort.Tensor {
    if (this.intInputs.get(name) === 'int32') return new ort.Tensor('int32', Int32Array.from(values), dims);
    const a = new BigInt64Array(values.length);
    for (let i = 0; i < values.length; i++) a[i] = BigInt(values[i]);
    return new ort.Tensor('int64', a, dims);
  }

  /** Feeds for a [batch, seq] grid, built from the graph's own input names. */
  private feeds(inputIds: number[][], attentionMask?: number[][], tokenTypeIds?: number[][], maskPositions?: number[][]): Record<string, ort.Tensor> {
    const B = inputIds.length;
    const S = inputIds[0]?.length ?? 0;
    const grid = (rows: number[][] | undefined, fill: (s: number) => number) => rows ? rows.flat() : Array.from({ length: B * S }, (_, i) => fill(i % S));
    const positionOffset = /roberta|camembert/.test(this.info.modelType) ? this.tokenizer.padId + 1 : 0;
    const feeds: Record<string, ort.Tensor> = {};
    for (const name of this.intInputs.keys()) {
      switch (name) {
        case 'input_ids': feeds[name] = this.intTensor(name, inputIds.flat(), [B, S]); break;
        case 'attention_mask': feeds[name] = this.intTensor(name, grid(attentionMask, () => 1), [B, S]); break;
        case 'token_type_ids': feeds[name] = this.intTensor(name, grid(tokenTypeIds, () => 0), [B, S]); break;
        case 'position_ids': feeds[name] = this.intTensor(name, grid(undefined, (s) => s + positionOffset), [B, S]); break;
        case 'mask_positions': {
          const rows = maskPositions ?? inputIds.map((r) => r.map((_, s) => s));
          feeds[name] = this.intTensor(name, rows.flat(), [B, rows[0].length]);
          break;
        }
      }
    }
    return feeds;
  }

  private async run(feeds: Record<string, ort.Tensor>, isCancelled?: () => boolean): Promise<{ data: Float32Array; dims: number[] }> {
    const out = await this.exclusive(() => {
      if (isCancelled?.()) throw new ClozeError('cancelled', 'The request was superseded.');
      this.runs++;
      return this.session.run(feeds);
    });
    const t = out.logits ?? out[this.session.outputNames[0]];
    return { data: t.data as Float32Array, dims: t.dims as number[] };
  }

  /**
   * Runs a padded batch and returns the logits [batch, seq, vocab] at every position (graphs that compute the head
   * only at masks are asked for every position). Used by parity tests and benchmarks.
   */
  runBatch(inputIds: number[][], attentionMask?: number[][], tokenTypeIds?: number[][]): Promise<{ data: Float32Array; dims: number[] }> {
    return this.run(this.feeds(inputIds, attentionMask, tokenTypeIds));
  }

  /** Token ids that are never offered as fills (specials, blanks, character fragments). */
  get neverOffered(): ReadonlySet<number> {
    return this.excluded;
  }

  /**
   * One batched run over equal-length framed rows, with the logits of row b at `positions[b]` only (where the graph
   * computes the head at masks, only there): `offset(b)` is where that row of `vocab` floats starts in `data`.
   */
  async logitsAtRows(rows: number[][], positions: number[], isCancelled?: () => boolean): Promise<{ data: Float32Array; vocab: number; offset: (b: number) => number }> {
    const atMasks = this.intInputs.has('mask_positions');
    const S = rows[0]?.length ?? 0;
    const { data, dims } = await this.run(this.feeds(rows, undefined, undefined, atMasks ? positions.map((p) => [p]) : undefined), isCancelled);
    const vocab = dims[dims.length - 1];
    return { data, vocab, offset: (b) => (atMasks ? b : b * S + positions[b]) * vocab };
  }

  /**
   * One run over rows of any lengths with several positions each: shorter rows are padded on the right with attention
   * 0 (graphs without an attention_mask input get one run per row length instead). `offset(b, j)` is where the
   * `vocab` floats of row b's j-th position start.
   */
  async logitsGrid(rows: number[][], positions: number[][], isCancelled?: () => boolean): Promise<GridLogits> {
    const groups = new Map<number, number[]>();
    const padded = this.intInputs.has('attention_mask');
    rows.forEach((r, b) => {
      const key = padded ? 0 : r.length;
      groups.set(key, [...(groups.get(key) ?? []), b]);
    });
    const atMasks = this.intInputs.has('mask_positions');
    const where: { data: Float32Array; index: number; S: number; P: number }[] = [];
    let vocab = 0;
    for (const members of groups.values()) {
      const S = Math.max(...members.map((b) => rows[b].length));
      const P = Math.max(...members.map((b) => positions[b].length));
      const ids = members.map((b) => [...rows[b], ...Array<number>(S - rows[b].length).fill(this.tokenizer.padId)]);
      const attention = members.map((b) => Array.from({ length: S }, (_, s) => (s < rows[b].length ? 1 : 0)));
      // Every row asks for P positions (a graph input is a grid): short lists repeat their last one.
      const pos = members.map((b) => Array.from({ length: P }, (_, j) => positions[b][Math.min(j, positions[b].length - 1)] ?? 0));
      const out = await this.run(this.feeds(ids, attention, undefined, atMasks ? pos : undefined), isCancelled);
      vocab = out.dims[out.dims.length - 1];
      members.forEach((b, index) => (where[b] = { data: out.data, index, S, P }));
    }
    return {
      vocab,
      data: (b) => where[b].data,
      offset: (b, j) => (atMasks ? where[b].index * where[b].P + j : where[b].index * where[b].S + positions[b][j]) * vocab,
    };
  }

  /** Logits at the given positions of one framed sequence, as offsets of `vocab`-float rows. */
  private async logitsAt(ids: number[], positions: number[], isCancelled?: () => boolean): Promise<{ data: Float32Array; vocab: number; row: (i: number) => number }> {
    const atMasks = this.intInputs.has('mask_positions');
    const { data, dims } = await this.run(this.feeds([ids], undefined, undefined, atMasks ? [positions] : undefined), isCancelled);
    if (dims.length < 2 || dims.length > 3) {
      throw new ClozeError('model-inputs', `The model's output has shape [${dims.join(', ')}]; a fill-mask model outputs logits [batch, sequence, vocabulary].`);
    }
    const vocab = dims[dims.length - 1];
    const rows = dims.length === 3 ? dims[1] : dims[0];
    if (rows !== (atMasks ? positions.length : ids.length)) {
      throw new ClozeError('model-inputs', `The model returned ${rows} rows of logits for ${ids.length} tokens; it is not a token-level (fill-mask) model.`);
    }
    return { data, vocab, row: (i) => (atMasks ? i : positions[i]) * vocab };
  }

  /**
   * Predictions for the masks in the window around `target`: every one of them, or with `onlyTarget` just the target
   * (the head runs and the vocabulary is ranked only where the caller will look).
   */
  private async predict(text: string, target: MaskSpan, opts: FillOptions, onlyTarget = false, targetIds?: number[]): Promise<MaskPrediction[]> {
    const win = await this.windowAround(text, target, opts.contextTokens);
    const masks = onlyTarget ? win.masks.filter((m) => m.span.start === target.start) : win.masks;
    const positions = masks.map((m) => m.position);
    const logits = await this.logitsAt(win.ids, positions, opts.isCancelled);
    if (opts.isCancelled?.()) throw new ClozeError('cancelled', 'The request was superseded.');
    const k = opts.topK ?? 5;
    const out: MaskPrediction[] = [];
    for (let i = 0; i < masks.length; i++) {
      const r = rank(logits.data, logits.row(i), logits.vocab, k, this.excluded, targetIds);
      const candidates: Candidate[] = [];
      for (let j = 0; j < r.ids.length; j++) {
        const id = r.ids[j];
        const t = await this.tokenizer.pieceText(id);
        candidates.push(placed(text, masks[i].span, { id, token: this.tokenizer.piece(id), text: t.text, attach: t.attach, score: r.probs[j] }));
      }
      out.push({ span: masks[i].span, candidates, entropy: r.entropy, windowTokens: win.ids.length, masksInWindow: win.masks.length });
    }
    return out;
  }

  /** The bounded window of tokens around the mask `span` (window.ts), within `contextTokens` (default 256) and the model's limit. */
  windowAround(text: string, span: MaskSpan, contextTokens?: number): Promise<TokenWindow> {
    return buildWindow(this.tokenizer, text, this.pattern, this.files.maskToken, span, Math.max(8, Math.min(contextTokens ?? 256, this.info.maxTokens)));
  }

  /** Consistent fills of the mask at `offset` and its nearest neighbours (joint.ts). */
  fillJoint(text: string, offset: number, opts: JointOptions = {}): Promise<JointFill | undefined> {
    return fillJoint(this, text, offset, opts);
  }

  /** The pieces each target word stands for at this mask (targets.ts). */
  targetPieces(text: string, span: MaskSpan, targets: readonly string[]): Promise<{ target: string; ids: number[] }[]> {
    return targetPieces(this, text, span, targets);
  }

  /** The mask pattern for this model: `[MASK]` and its own mask token. */
  get maskRegex(): RegExp {
    return this.pattern;
  }

  masksIn(text: string, from = 0, to = text.length): MaskSpan[] {
    return findMasks(text, this.pattern, from, to);
  }

  maskAt(text: string, offset: number): MaskSpan | undefined {
    return maskAt(text, this.pattern, offset);
  }

  /** Predictions for the mask at `offset`, read in the window around it (other masks there stay masked). */
  async fillAt(text: string, offset: number, opts: FillOptions = {}): Promise<MaskPrediction | undefined> {
    const span = this.maskAt(text, offset);
    if (!span) return undefined;
    if (opts.openLineEnd && /^[^\S\n]*(\n|$)/.test(text.slice(span.end, span.end + 200)) && !opts.targets?.length) {
      // The unseen continuation is a few more masks: nothing before the mask moves, so the span and candidates stand.
      const rest = text.slice(span.end);
      const open = text.slice(0, span.end) + this.files.maskToken.repeat(OPEN_LINE_MASKS) + (rest === '' ? '\n' : '') + rest;
      const p = await this.fillAt(open, offset, { ...opts, openLineEnd: false });
      return p && { ...p, masksInWindow: p.masksInWindow - OPEN_LINE_MASKS };
    }
    if (opts.targets?.length) {
      const pieces = await targetPieces(this, text, span, opts.targets);
      if (pieces.every((t) => t.ids.length === 1)) {
        const preds = await this.predict(text, span, opts, true, pieces.map((t) => t.ids[0]));
        return preds.find((p) => p.span.start === span.start);
      }
      // A target of several pieces: every target is scored as a whole word, the scores shared among the targets.
      return this.fromWords(text, await scoreWords(this, text, span, pieces.map((t) => t.ids), opts), opts.topK ?? 5);
    }
    if ((opts.maxPieces ?? 1) > 1) {
      return this.fromWords(text, await wholeWords(this, text, span, { maxPieces: opts.maxPieces ?? 1, topK: opts.topK ?? 5, contextTokens: opts.contextTokens, isCancelled: opts.isCancelled }), opts.topK ?? 5);
    }
    const preds = await this.predict(text, span, opts, true);
    return preds.find((p) => p.span.start === span.start);
  }

  private fromWords(text: string, w: WholeWordFill, topK: number): MaskPrediction {
    const candidates = w.candidates.slice(0, topK).map((c) => placed(text, w.span, {
      id: c.ids[0],
      token: c.ids.map((id) => this.tokenizer.piece(id)).join(' '),
      text: c.text,
      attach: c.attach,
      score: c.score,
      ...(c.ids.length > 1 ? { pieces: c.ids } : {}),
    }));
    return { span: w.span, candidates, entropy: w.entropy, windowTokens: w.windowTokens, masksInWindow: w.masksInWindow };
  }

  /** Predictions for every mask in `text`, in order; masks that share a window share one model run. */
  async fill(text: string, opts: FillOptions = {}): Promise<MaskPrediction[]> {
    const spans = this.masksIn(text);
    if ((opts.maxPieces ?? 1) > 1 || opts.targets?.length) {
      // Whole words and targets are worked out one mask at a time.
      const out: MaskPrediction[] = [];
      for (const s of spans) {
        const p = await this.fillAt(text, s.start, opts);
        if (p) out.push(p);
      }
      return out;
    }
    const done = new Map<number, MaskPrediction>();
    for (const s of spans) {
      if (done.has(s.start)) continue;
      for (const p of await this.predict(text, s, opts)) if (!done.has(p.span.start)) done.set(p.span.start, p);
    }
    return spans.map((s) => done.get(s.start)).filter((p): p is MaskPrediction => p !== undefined);
  }
}
