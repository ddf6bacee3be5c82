// Dynamic masking: picks fresh masked-LM targets for packed rows each time they are used, and lays them out as a fixed-shape Batch.
import { IGNORE_LABEL, type Batch } from './batch';
import type { PackedSequences } from './packer';
import { Rng } from './rng';

export interface CollatorOptions {
  readonly batch: number;
  readonly seq: number;
  /** Slots for targets per batch; see {@link defaultMaxMasked}. */
  readonly maxMasked: number;
  readonly vocabSize: number;
  readonly maskTokenId: number;
  /** Never selected, never used as a random replacement. */
  readonly specialIds: readonly number[];
  /** Share of maskable tokens selected as targets (default 0.15). */
  readonly maskProb?: number;
  /** Of the selected: share replaced by the mask token (default 0.8) … */
  readonly replaceWithMask?: number;
  /** … and share replaced by a random token (default 0.1); the rest stay as they were. */
  readonly replaceWithRandom?: number;
  /** Select whole words (a word start with all its continuation pieces) instead of single tokens. */
  readonly wholeWord?: boolean;
  /**
   * Informed masking: a token's chance of being a target is maskProb × its weight ÷ the mean weight of the batch's
   * maskable tokens (capped at 1), so the expected rate stays maskProb while surprising tokens are chosen more often.
   * Without it every token has the same chance. Not combined with wholeWord.
   */
  readonly weightOf?: (id: number) => number;
}

/**
 * Target slots for a batch: the expected count plus six standard deviations (plus room for whole-word
 * clumping), so that dropping targets beyond the slots practically never happens.
 */
export function defaultMaxMasked(batch: number, seq: number, maskProb = 0.15, wholeWord = false): number {
  const n = batch * seq;
  const mean = n * maskProb;
  const sd = Math.sqrt(n * maskProb * (1 - maskProb)) * (wholeWord ? 2 : 1);
  return Math.min(n, Math.ceil(mean + 6 * sd + 4));
}

/** What one collation chose, for statistics and tests; the Batch alone is what training needs. */
export interface CollateDetail {
  /** Targets chosen before the slot limit. */
  readonly selected: number;
  /** Targets dropped because they exceeded maxMasked. */
  readonly dropped: number;
  readonly masked: number;
  readonly randomized: number;
  readonly kept: number;
}

export class MaskingCollator {
  private readonly special: Uint8Array;
  private readonly maskProb: number;
  private readonly pMask: number;
  private readonly pRandom: number;

  constructor(private readonly opts: CollatorOptions) {
    this.maskProb = opts.maskProb ?? 0.15;
    this.pMask = opts.replaceWithMask ?? 0.8;
    this.pRandom = opts.replaceWithRandom ?? 0.1;
    if (!(this.maskProb > 0 && this.maskProb <= 1)) throw new RangeError(`maskProb must be in (0, 1], got ${this.maskProb}`);
    if (!(this.pMask >= 0 && this.pRandom >= 0 && this.pMask + this.pRandom <= 1)) throw new RangeError('replaceWithMask + replaceWithRandom must be within [0, 1]');
    if (opts.maxMasked < 1) throw new RangeError('maxMasked must be at least 1');
    if (opts.weightOf && opts.wholeWord) throw new RangeError('informed masking picks single tokens; it does not combine with wholeWord');
    this.special = new Uint8Array(opts.vocabSize);
    for (const id of opts.specialIds) if (id >= 0 && id < opts.vocabSize) this.special[id] = 1;
    this.special[opts.maskTokenId] = 1;
    if (this.special.every((v) => v === 1)) throw new RangeError('every vocabulary id is special; nothing can be a random replacement');
  }

  /**
   * Builds one batch from `rows` of `data` (exactly `batch` rows), drawing every random choice from `rng`:
   * the same rows and the same rng state always give the same batch.
   */
  collate(data: PackedSequences, rows: readonly number[], rng: Rng): Batch {
    return this.collateWithDetail(data, rows, rng).batch;
  }

  collateWithDetail(data: PackedSequences, rows: readonly number[], rng: Rng): { batch: Batch; detail: CollateDetail } {
    const { batch: B, seq: S, maxMasked: M } = this.opts;
    if (data.seq !== S) throw new RangeError(`packed rows have length ${data.seq}, the collator expects ${S}`);
    if (rows.length !== B) throw new RangeError(`expected ${B} rows, got ${rows.length}`);
    const inputIds = new BigInt64Array(B * S);
    const attentionMask = new BigInt64Array(B * S);
    const original = new Int32Array(B * S);
    const selected: number[] = [];

    for (let b = 0; b < B; b++) {
      const r = rows[b];
      if (!(r >= 0 && r < data.count)) throw new RangeError(`row ${r} is out of range (0…${data.count - 1})`);
      const len = data.lengths[r];
      let wordChosen = false;
      for (let s = 0; s < S; s++) {
        const flat = b * S + s;
        const id = data.ids[r * S + s];
        original[flat] = id;
        inputIds[flat] = BigInt(id);
        if (s >= len) continue; // padding: attention 0, never a target
        attentionMask[flat] = 1n;
        if (this.special[id]) {
          wordChosen = false;
          continue;
        }
        let choose: boolean;
        if (this.opts.wholeWord) {
          // One draw per word; continuation pieces follow their word's choice.
          if (data.wordStart[r * S + s]) wordChosen = rng.next() < this.maskProb;
          choose = wordChosen;
        } else if (this.opts.weightOf) {
          choose = false; // chosen below, once the batch's mean weight is known
        } else {
          choose = rng.next() < this.maskProb;
        }
        if (choose) selected.push(flat);
      }
    }
    if (this.opts.weightOf) this.reselectByWeight(original, attentionMask, selected, rng, this.opts.weightOf);
    // A batch without targets would make the loss 0/0; one target keeps every step meaningful.
    if (selected.length === 0) {
      const maskable: number[] = [];
      for (let flat = 0; flat < B * S; flat++) if (attentionMask[flat] === 1n && !this.special[original[flat]]) maskable.push(flat);
      if (maskable.length > 0) selected.push(maskable[rng.int(maskable.length)]);
    }

    const chosenCount = selected.length;
    let kept = selected;
    if (chosenCount > M) {
      // Drop a random subset rather than the tail, so no part of the batch is favoured.
      rng.shuffle(selected);
      kept = selected.slice(0, M).sort((a, b) => a - b);
    }

    const maskedPositions = new BigInt64Array(M);
    const labels = new BigInt64Array(M).fill(IGNORE_LABEL);
    let masked = 0, randomized = 0, unchanged = 0;
    for (let i = 0; i < kept.length; i++) {
      const flat = kept[i];
      maskedPositions[i] = BigInt(flat);
      labels[i] = BigInt(original[flat]);
      const u = rng.next();
      if (u < this.pMask) {
        inputIds[flat] = BigInt(this.opts.maskTokenId);
        masked++;
      } else if (u < this.pMask + this.pRandom) {
        inputIds[flat] = BigInt(this.randomToken(rng));
        randomized++;
      } else {
        unchanged++;
      }
    }
    const batch: Batch = { batch: B, seq: S, maxMasked: M, inputIds, attentionMask, maskedPositions, labels };
    return { batch, detail: { selected: chosenCount, dropped: chosenCount - kept.length, masked, randomized, kept: unchanged } };
  }

  /** Informed masking's selection: one draw per maskable token, in order, with its weighted probability. */
  private reselectByWeight(original: Int32Array, attentionMask: BigInt64Array, selected: number[], rng: Rng, weightOf: (id: number) => number): void {
    const maskable: number[] = [];
    const weights: number[] = [];
    let sum = 0;
    for (let flat = 0; flat < original.length; flat++) {
      if (attentionMask[flat] !== 1n || this.special[original[flat]]) continue;
      const w = weightOf(original[flat]);
      maskable.push(flat);
      weights.push(w);
      sum += w;
    }
    if (maskable.length === 0) return;
    const scale = (this.maskProb * maskable.length) / Math.max(1e-12, sum);
    for (let i = 0; i < maskable.length; i++) if (rng.next() < Math.min(1, weights[i] * scale)) selected.push(maskable[i]);
  }

  /** A uniformly random non-special id. */
  private randomToken(rng: Rng): number {
    for (;;) {
      const id = rng.int(this.opts.vocabSize);
      if (!this.special[id]) return id;
    }
  }
}

/** Position in the row order: the stream resumes from exactly here. */
export interface StreamPosition {
  readonly epoch: number;
  readonly offset: number;
}

/**
 * The sequence of training batches: rows in a fresh shuffled order each epoch (the order is a function of the
 * seed and the epoch number alone), masked by the collator with the stream's RNG. Its position and the RNG state
 * are all that a checkpoint needs to continue with exactly the batches that would have come next.
 */
export class BatchStream {
  private epoch: number;
  private offset: number;
  private order: Uint32Array;

  constructor(
    private readonly data: PackedSequences,
    private readonly collator: MaskingCollator,
    private readonly batchSize: number,
    private readonly shuffleSeed: number,
    /** Masking randomness; advanced by every batch. */
    readonly rng: Rng,
    start: StreamPosition = { epoch: 0, offset: 0 },
  ) {
    if (data.count === 0) throw new RangeError('no rows to train on');
    this.epoch = start.epoch;
    this.offset = Math.min(start.offset, data.count);
    this.order = this.orderFor(this.epoch);
  }

  get position(): StreamPosition {
    return { epoch: this.epoch, offset: this.offset };
  }

  next(): Batch {
    const rows: number[] = [];
    while (rows.length < this.batchSize) {
      if (this.offset >= this.order.length) {
        this.epoch++;
        this.offset = 0;
        this.order = this.orderFor(this.epoch);
      }
      rows.push(this.order[this.offset++]);
    }
    return this.collator.collate(this.data, rows, this.rng);
  }

  private orderFor(epoch: number): Uint32Array {
    const order = new Uint32Array(this.data.count);
    for (let i = 0; i < order.length; i++) order[i] = i;
    // Seeds differ per epoch through the high bits, which Rng.fromSeed mixes in.
    return Rng.fromSeed(this.shuffleSeed + epoch * 2 ** 32).shuffle(order);
  }
}
