// Informed masking's memory: how surprising each vocabulary entry currently is to the model being trained.
//
// Masking by the surprisal of each token in its context would need an extra masked forward pass per token; the train
// step already computes the loss at every position it masks, so the table keeps, per vocabulary id, an exponential
// moving average of those losses (nats) — the model's current surprisal of that token type, averaged over its
// recent contexts. Ids not seen yet count as the running mean over everything seen, so they are neither favoured
// nor starved. The table lags the weights by at most one training call (K steps), which is the point of it: no
// extra model runs.

import { IGNORE_LABEL } from './batch';

/** Weight of a new observation in an id's moving average; about the last 1/DECAY sightings of the id count. */
const DECAY = 0.1;
/** Weights never drop below this share of the mean, so that no token type stops being a target altogether. */
const FLOOR = 0.05;

export interface SurprisalTableState {
  /** Per id: moving average of the masked-LM loss in nats; null = not seen yet (JSON has no NaN). */
  readonly ema: readonly (number | null)[];
  /** Running mean over all observations (nats), and how many there were. */
  readonly mean: number;
  readonly count: number;
}

export class SurprisalTable {
  private readonly ema: Float64Array;
  private mean = 0;
  private count = 0;

  constructor(readonly vocabSize: number, state?: SurprisalTableState) {
    this.ema = new Float64Array(vocabSize).fill(NaN);
    if (state) {
      if (state.ema.length !== vocabSize) throw new RangeError(`surprisal table has ${state.ema.length} ids, the vocabulary ${vocabSize}`);
      state.ema.forEach((v, i) => (this.ema[i] = v === null ? NaN : v));
      this.mean = state.mean;
      this.count = state.count;
    }
  }

  /** Takes one step's targets (labels; IGNORE_LABEL entries are padding) and the loss the model had at each. */
  observe(labels: BigInt64Array, losses: Float32Array): void {
    for (let i = 0; i < labels.length; i++) {
      if (labels[i] === IGNORE_LABEL) continue;
      const id = Number(labels[i]);
      const loss = losses[i];
      if (!(id >= 0 && id < this.vocabSize) || !Number.isFinite(loss)) continue;
      const old = this.ema[id];
      this.ema[id] = Number.isNaN(old) ? loss : old + DECAY * (loss - old);
      this.count++;
      this.mean += (loss - this.mean) / this.count;
    }
  }

  /** Relative masking weight of an id (mean over ids ≈ 1 once observed; 1 for everything before any observation). */
  weight(id: number): number {
    if (this.count === 0) return 1;
    const e = this.ema[id];
    const s = Number.isNaN(e) ? this.mean : e;
    return Math.max(FLOOR, s / Math.max(1e-6, this.mean));
  }

  /** Surprisal in nats of an id as the table sees it (the running mean for ids not seen yet). */
  nats(id: number): number {
    const e = this.ema[id];
    return Number.isNaN(e) ? this.mean : e;
  }

  state(): SurprisalTableState {
    return { ema: Array.from(this.ema, (v) => (Number.isNaN(v) ? null : v)), mean: this.mean, count: this.count };
  }
}
