// The contract between the data pipeline (collator) and the train-step graph: one fixed-shape batch.

/**
 * A batch of packed, fixed-length sequences with masked-LM targets.
 * Shapes are fixed per training run so one ONNX graph serves every step:
 *  - inputIds / attentionMask: batch*seq, row-major ([batch, seq]); attentionMask is 1 for real tokens, 0 for padding.
 *  - maskedPositions / labels: exactly `maxMasked` entries each. maskedPositions are flat indices (b*seq + s)
 *    into the [batch*seq] token grid; labels are the original token ids there. Unused slots have
 *    position 0 and label -100 (ignored by the loss, which averages over real labels only).
 */
export interface Batch {
  readonly batch: number;
  readonly seq: number;
  readonly maxMasked: number;
  readonly inputIds: BigInt64Array;
  readonly attentionMask: BigInt64Array;
  readonly maskedPositions: BigInt64Array;
  readonly labels: BigInt64Array;
}

export const IGNORE_LABEL = -100n;
