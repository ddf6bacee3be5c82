// Section 2 of a run: the corpus collected, split, packed into rows and fingerprinted; the fixed held-out batches.
import { createHash } from 'node:crypto';
import { ClozeError } from '../core/errors';
import type { FramingTokenizer } from '../core/tokenizer';
import type { Batch } from './batch';
import type { MaskingCollator } from './collator';
import { collectCorpus, type Corpus } from './corpus';
import { EVAL_SEED } from './metrics';
import { packDocuments, type PackedSequences } from './packer';
import { Rng } from './rng';
import { splitFiles } from './split';
import type { TrainPlan } from './trainOptions';

export interface Data {
  readonly train: PackedSequences;
  readonly heldOut: PackedSequences;
  readonly trainFiles: number;
  readonly heldOutFiles: number;
  readonly dataHash: string;
}

/** The corpus under `inputs`, narrowed to the `only` allow-list when one is given. */
export async function gatherCorpus(inputs: readonly string[], exclude?: readonly string[], only?: readonly string[], maxCorpusBytes?: number): Promise<Corpus> {
  // The allow-list is applied before any file is read, so excluded files neither cost time nor count toward the cap.
  return collectCorpus(inputs, { exclude, only, maxCorpusBytes });
}

/** Collects, splits and packs the corpus of a plan, and fingerprints the training rows. */
export async function prepareData(plan: TrainPlan, tok: FramingTokenizer, log: (m: string) => void): Promise<Data> {
  const corpus = await gatherCorpus(plan.inputs, plan.exclude, plan.only, plan.maxCorpusBytes);
  if (corpus.files.length === 0) {
    const why = corpus.skipped.slice(0, 5).map((s) => `${s.path}: ${s.reason}`).join('; ');
    throw new ClozeError('training', `No text files to train on in ${plan.inputs.join(', ')}${why ? ` (skipped: ${why})` : ''}. Point cloze train at folders of source code or prose.`);
  }
  const split = splitFiles(corpus.files, { heldOutFraction: plan.heldOutFraction, by: plan.heldOutBy ?? 'hash' });
  if (split.heldOut.length === 0) throw new ClozeError('training', 'Training needs at least two text files: one is held out to measure progress.');
  const train = await packDocuments(tok, split.train.map((f) => f.text), plan.seq);
  const heldOut = await packDocuments(tok, split.heldOut.map((f) => f.text), plan.seq);
  if (train.count === 0 || heldOut.count === 0) throw new ClozeError('training', 'The training or held-out files tokenize to nothing; add more text.');
  const h = createHash('sha256').update(`${plan.seq}\n`);
  h.update(Buffer.from(train.ids.buffer, train.ids.byteOffset, train.ids.byteLength));
  h.update(Buffer.from(train.lengths.buffer, train.lengths.byteOffset, train.lengths.byteLength));
  log(`${split.train.length} training files (${train.tokens.toLocaleString('en-US')} tokens, ${train.count} rows of ${plan.seq}), ${split.heldOut.length} held out (${heldOut.tokens.toLocaleString('en-US')} tokens); ${corpus.skipped.length} skipped`);
  return { train, heldOut, trainFiles: split.train.length, heldOutFiles: split.heldOut.length, dataHash: h.digest('hex') };
}

/**
 * The held-out batches, masked once with the fixed evaluation seed: rows in order, full batches only (a corpus
 * with fewer rows than a batch repeats rows).
 */
export function heldOutBatches(data: PackedSequences, collator: MaskingCollator, batch: number, maxBatches: number): Batch[] {
  const rng = Rng.fromSeed(EVAL_SEED);
  const n = Math.max(1, Math.min(maxBatches, Math.floor(data.count / batch)));
  const out: Batch[] = [];
  for (let i = 0; i < n; i++) out.push(collator.collate(data, Array.from({ length: batch }, (_, j) => (i * batch + j) % data.count), rng));
  return out;
}
